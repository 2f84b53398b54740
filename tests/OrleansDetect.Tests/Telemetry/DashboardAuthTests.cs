using System.Net;
using System.Net.Http.Headers;
using System.Text;
using OrleansDetect.Tests.Http;

namespace OrleansDetect.Tests.Telemetry;

[Collection(SecuredSiloCollection.Name)]
public sealed class DashboardAuthTests(SecuredSiloFixture silo)
{
    [Fact]
    public async Task With_keys_configured_the_dashboard_needs_an_admin_key_as_bearer_or_basic_password()
    {
        using (var anonymous = await silo.Http.GetAsync("dashboard/"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Contains(anonymous.Headers.WwwAuthenticate, h => h.Scheme == "Basic");
        }

        using (var wrong = await Get("Bearer", "not-the-key"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        // Every collector holds the ingest key, and an analyst the read key: neither opens the silo's log stream.
        using (var ingest = await Get("Bearer", SecuredSiloFixture.ApiKey))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, ingest.StatusCode);
        }

        using (var read = await Get("Bearer", SecuredSiloFixture.ReadKey))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, read.StatusCode);
        }

        using (var bearer = await Get("Bearer", SecuredSiloFixture.AdminKey))
        {
            Assert.Equal(HttpStatusCode.OK, bearer.StatusCode);
        }

        using (var basic = await Get("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("operator:" + SecuredSiloFixture.AdminKey))))
        {
            Assert.Equal(HttpStatusCode.OK, basic.StatusCode);
        }

        // The dashboard's data endpoints are behind the same check as its page.
        using var data = await silo.Http.GetAsync("dashboard/ClusterStats");
        Assert.Equal(HttpStatusCode.Unauthorized, data.StatusCode);
    }

    [Fact]
    public async Task Basic_credentials_do_not_open_ingest()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/flows")
        {
            Content = new StringContent("{}", Encoding.UTF8, "application/x-ndjson"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("x:" + SecuredSiloFixture.ApiKey)));
        using var response = await silo.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private Task<HttpResponseMessage> Get(string scheme, string parameter)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "dashboard/");
        request.Headers.Authorization = new AuthenticationHeaderValue(scheme, parameter);
        return silo.Http.SendAsync(request);
    }
}
