using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Console;

[Collection(ConsoleSiloCollection.Name)]
public sealed class WorkloadRegistryTests(ConsoleSiloFixture silo)
{
    private async Task<int> WorkloadActivations()
    {
        var management = silo.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);
        var statistics = await management.GetSimpleGrainStatistics();
        return statistics.Where(s => s.GrainType.Contains(nameof(OrleansDetect.Grains.Workloads.WorkloadGrain), StringComparison.Ordinal)).Sum(s => s.ActivationCount);
    }

    [Fact]
    public async Task Workloads_are_listed_in_name_order_by_prefix_and_state_a_page_at_a_time()
    {
        var prefix = Flows.UniqueWorkload("fleet") + "-";
        var names = Enumerable.Range(0, 5).Select(i => $"{prefix}{i:00}").ToArray();
        var body = new StringBuilder();
        foreach (var name in names.Reverse()) body.Append(Flows.NdjsonLine(name, Flows.T0, "10.0.0.5", "198.18.0.1", 443, "established")).Append('\n');
        await silo.Ingest(body.ToString());

        var first = await silo.Reader.GetFromJsonAsync<JsonElement>($"api/v1/hosts?prefix={prefix}&limit=2");
        Assert.Equal(names[..2], first.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("workload").GetString()));
        var next = first.GetProperty("next").GetString();
        Assert.Equal(names[1], next);
        var second = await silo.Reader.GetFromJsonAsync<JsonElement>($"api/v1/hosts?prefix={prefix}&limit=2&after={next}");
        Assert.Equal(names[2..4], second.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("workload").GetString()));
        var last = await silo.Reader.GetFromJsonAsync<JsonElement>($"api/v1/hosts?prefix={prefix}&limit=2&after={second.GetProperty("next").GetString()}");
        Assert.Equal([names[4]], last.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("workload").GetString()));
        Assert.Equal(JsonValueKind.Null, last.GetProperty("next").ValueKind);

        var learning = await silo.Reader.GetFromJsonAsync<JsonElement>($"api/v1/workloads?prefix={prefix}&state=learning");
        Assert.Equal(5, learning.GetProperty("items").GetArrayLength());
        Assert.All(learning.GetProperty("items").EnumerateArray(), i => Assert.Equal("learning", i.GetProperty("state").GetString()));
        var learned = await silo.Reader.GetFromJsonAsync<JsonElement>($"api/v1/workloads?prefix={prefix}&state=learned");
        Assert.Equal(0, learned.GetProperty("items").GetArrayLength());

        // A known workload answers at once after its ingest.
        using var one = await silo.Reader.GetAsync($"api/v1/hosts/{names[3]}");
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
    }

    [Theory]
    [InlineData("state=asleep", "'state'")]
    [InlineData("limit=0", "'limit'")]
    [InlineData("limit=5000", "'limit'")]
    public async Task A_bad_list_parameter_is_a_400_naming_it(string query, string parameter)
    {
        using var response = await silo.Reader.GetAsync($"api/v1/hosts?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(parameter, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_workloads_are_404_without_activating_a_workload_grain()
    {
        var before = await WorkloadActivations();
        var ghost = Flows.UniqueWorkload("ghost");
        var requests = Enumerable.Range(0, 500).Select(async i =>
        {
            using var response = await silo.Reader.GetAsync($"api/v1/hosts/{ghost}-{i}");
            return response.StatusCode;
        });
        Assert.All(await Task.WhenAll(requests), status => Assert.Equal(HttpStatusCode.NotFound, status));
        Assert.Equal(before, await WorkloadActivations());
    }
}
