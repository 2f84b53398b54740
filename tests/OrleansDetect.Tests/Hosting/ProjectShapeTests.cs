using OrleansDetect.Detection;
using OrleansDetect.Ingest;

namespace OrleansDetect.Tests.Hosting;

/// <summary>Dependencies point one way: detection and ingest know nothing of Orleans, the client nothing of grains.</summary>
public sealed class ProjectShapeTests
{
    [Fact]
    public void Detection_and_ingest_reference_no_Orleans_assembly()
    {
        foreach (var assembly in new[] { typeof(WorkloadDetection).Assembly, typeof(FlowParser).Assembly })
        {
            var references = assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
            Assert.Contains("OrleansDetect.Abstractions", references);
            Assert.DoesNotContain(references, name => name.StartsWith("Orleans.", StringComparison.Ordinal) || name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void The_client_references_no_grains()
    {
        var client = typeof(OrleansDetect.Client.Gateway.OrleansTarget).Assembly;
        var references = client.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.Contains("OrleansDetect.Ingest", references);
        Assert.DoesNotContain("OrleansDetect.Grains", references);
        Assert.DoesNotContain("OrleansDetect.Detection", references);
    }
}
