using System.Net;
using System.Net.Http.Json;
using OrleansDetect.Silo.Hosting;
using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Console;

/// <summary>The console's sign-in: a cookie that holds no key, HttpOnly and SameSite=Strict, and changes over it need the CSRF header.</summary>
[Collection(ConsoleSiloCollection.Name)]
public sealed class ConsoleSessionTests(ConsoleSiloFixture silo)
{
    private (HttpClient Client, CookieContainer Cookies) Browser()
    {
        var cookies = new CookieContainer();
        var client = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = silo.BaseAddress };
        return (client, cookies);
    }

    private static async Task<HttpResponseMessage> SignIn(HttpClient client, string key, string name = "frank") =>
        await client.PostAsync("signin", new FormUrlEncodedContent(new Dictionary<string, string> { ["name"] = name, ["key"] = key, ["return"] = "/silences" }));

    [Fact]
    public async Task A_page_without_a_key_answers_401_with_the_sign_in_form_and_no_basic_dialog()
    {
        using var page = await silo.Http.GetAsync("");
        Assert.Equal(HttpStatusCode.Unauthorized, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("id=\"signin\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(page.Headers.WwwAuthenticate, h => h.Scheme == "Basic");
    }

    [Fact]
    public async Task Signing_in_sets_a_strict_http_only_cookie_that_holds_no_key()
    {
        var (client, cookies) = Browser();
        using (client)
        {
            using var wrong = await SignIn(client, "console-admin-key-0123456780");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            using var ingest = await SignIn(client, ConsoleSiloFixture.IngestKey);
            Assert.Equal(HttpStatusCode.Unauthorized, ingest.StatusCode);
            Assert.Empty(cookies.GetAllCookies());

            using var signIn = await SignIn(client, ConsoleSiloFixture.AdminKey);
            Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
            Assert.Equal("/silences", signIn.Headers.Location?.OriginalString);
            var header = Assert.Single(signIn.Headers.GetValues("Set-Cookie"));
            Assert.Contains("httponly", header, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("samesite=strict", header, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(ConsoleSiloFixture.AdminKey, header, StringComparison.Ordinal);

            using var page = await client.GetAsync("silences");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("signed in as frank (admin)", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_change_over_the_cookie_needs_the_console_header_and_an_admin_session()
    {
        var (admin, _) = Browser();
        var (reader, _) = Browser();
        using (admin)
        using (reader)
        {
            (await SignIn(admin, ConsoleSiloFixture.AdminKey)).Dispose();
            (await SignIn(reader, ConsoleSiloFixture.ReadKey, "grace")).Dispose();
            var silence = new { workload = Flows.UniqueWorkload("csrf"), endsAt = DateTimeOffset.UtcNow.AddHours(1), createdBy = "frank" };

            // What a cross-site form could send: the cookie, no header.
            using (var forged = await admin.PostAsJsonAsync("api/v1/silences", silence))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
            }

            using var withHeader = new HttpRequestMessage(HttpMethod.Post, "api/v1/silences") { Content = JsonContent.Create(silence) };
            withHeader.Headers.Add(ConsoleSession.CsrfHeader, "1");
            using (var allowed = await admin.SendAsync(withHeader))
            {
                Assert.Equal(HttpStatusCode.Created, allowed.StatusCode);
            }

            using var byReader = new HttpRequestMessage(HttpMethod.Post, "api/v1/silences") { Content = JsonContent.Create(silence) };
            byReader.Headers.Add(ConsoleSession.CsrfHeader, "1");
            using (var refused = await reader.SendAsync(byReader))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            }

            using var read = await reader.GetAsync("api/v1/silences");
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }
    }

    [Fact]
    public async Task A_tampered_or_foreign_cookie_is_refused()
    {
        var (client, cookies) = Browser();
        using (client)
        {
            (await SignIn(client, ConsoleSiloFixture.ReadKey)).Dispose();
            var cookie = cookies.GetAllCookies().Single(c => c.Name == ConsoleSession.CookieName);
            var dot = cookie.Value.IndexOf('.', StringComparison.Ordinal);
            // Claim admin with the read session's signature.
            var payload = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(Pad(cookie.Value[..dot]))).Replace("Read|", "Admin|", StringComparison.Ordinal);
            cookie.Value = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(payload)).TrimEnd('=').Replace('+', '-').Replace('/', '_') + cookie.Value[dot..];
            using var page = await client.GetAsync("");
            Assert.Equal(HttpStatusCode.Unauthorized, page.StatusCode);
        }

        static string Pad(string s) => s.Replace('-', '+').Replace('_', '/') + new string('=', (4 - s.Length % 4) % 4);
    }
}
