using System.Diagnostics;

namespace OrleansDetect.Tests.Hosting;

/// <summary>The repository's docker-compose.yml is valid (there is no Docker engine here: it is validated, not run).</summary>
public sealed class DockerComposeTests
{
    [Fact]
    public async Task Docker_compose_file_passes_config_validation()
    {
        var root = RepositoryRoot();
        ProcessStartInfo start;
        try
        {
            start = new ProcessStartInfo(FindOnPath("docker-compose"))
            {
                WorkingDirectory = root,
                ArgumentList = { "-f", Path.Combine(root, "docker-compose.yml"), "config", "-q" },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
        }
        catch (FileNotFoundException)
        {
            Assert.Fail("docker-compose is not installed: install it (apt-get install -y docker-compose) to validate docker-compose.yml.");
            return;
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        Assert.True(process.ExitCode == 0, $"docker-compose config -q failed: {await stderr}");
    }

    private static string FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }

        throw new FileNotFoundException(name);
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        for (var i = 0; i < 10 && dir is not null; i++, dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OrleansDetect.sln"))) return dir.FullName;
        }

        throw new InvalidOperationException("cannot find the repository root (OrleansDetect.sln) above " + AppContext.BaseDirectory);
    }
}
