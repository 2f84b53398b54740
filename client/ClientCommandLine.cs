using System.CommandLine;
using System.CommandLine.Parsing;
using OrleansDetect.Client.Demo;
using OrleansDetect.Client.Gateway;
using OrleansDetect.Client.Load;
using OrleansDetect.Client.Send;
using OrleansDetect.Ingest;
using Spectre.Console;

namespace OrleansDetect.Client;

/// <summary>The <c>orleansdetect</c> command line: send, demo, load, alerts, silence.</summary>
internal static class ClientCommandLine
{
    public const string ApiKeyVariable = "ORLEANSDETECT_API_KEY";

    /// <summary>Exit code when the command could not start (bad gateway URL and the like).</summary>
    public const int ExitUsage = 2;

    /// <summary>Exit code after Ctrl+C (128 + SIGINT, as shells report it).</summary>
    public const int ExitInterrupted = 130;

    private static readonly Option<string[]> GatewayOption = new("--gateway", "-g")
    {
        Description = "Gateway base URL; repeat it or give a comma-separated list to spread load round-robin (a failed request moves to the next)",
        DefaultValueFactory = _ => [GatewaySettings.DefaultGateway.ToString().TrimEnd('/')],
        Recursive = true,
    };

    // No DefaultValueFactory reading the environment: help would print the key as the default.
    private static readonly Option<string?> ApiKeyOption = new("--api-key")
    {
        Description = $"API key sent as 'Authorization: Bearer <key>' (default: ${ApiKeyVariable}); never printed",
        Recursive = true,
    };

    private static readonly Option<bool> OrleansOption = new("--orleans")
    {
        Description = "Connect to the cluster as an Orleans client (Redis clustering) and call the ingest router directly, skipping HTTP",
        Recursive = true,
    };

    // No default from the environment here either: a connection string may hold a password.
    private static readonly Option<string?> RedisOption = new("--redis")
    {
        Description = $"With --orleans: the cluster's Redis, HOST:PORT[,password=…] (default: ${OrleansSettings.RedisVariable})",
        Recursive = true,
    };

    private static readonly Option<string?> ClusterIdOption = new("--cluster-id")
    {
        Description = "With --orleans: the cluster's Orleans ClusterId (default: $Orleans__ClusterId, else Orleans' default)",
        Recursive = true,
    };

    private static readonly Option<string?> ServiceIdOption = new("--service-id")
    {
        Description = "With --orleans: the cluster's Orleans ServiceId (default: $Orleans__ServiceId, else Orleans' default)",
        Recursive = true,
    };

    /// <param name="terminal">The console when the output is a terminal (send then shows a live progress bar); null for plain lines.</param>
    /// <param name="standardInput">What <c>send -</c> reads (default: the process's standard input).</param>
    public static RootCommand Create(TextWriter output, TextWriter error, IAnsiConsole? terminal = null, Func<Stream>? standardInput = null)
    {
        var root = new RootCommand("OrleansDetect ingest client: send flow events to the detection cluster, run the demo, generate load.");
        root.Options.Add(GatewayOption);
        root.Options.Add(ApiKeyOption);
        root.Options.Add(OrleansOption);
        root.Options.Add(RedisOption);
        root.Options.Add(ClusterIdOption);
        root.Options.Add(ServiceIdOption);
        root.Subcommands.Add(CreateSendCommand(output, error, terminal, standardInput ?? Console.OpenStandardInput));
        root.Subcommands.Add(CreateDemoCommand(output, error));
        root.Subcommands.Add(CreateLoadCommand(output, error));
        root.Subcommands.Add(Alerts.AlertCommands.CreateAlerts(output, error));
        root.Subcommands.Add(Alerts.AlertCommands.CreateSilence(output, error));
        return root;
    }

    /// <summary>
    /// Builds the target the commands talk to from the global options; null (after printing why) when they are
    /// unusable: the HTTP gateways, or with <c>--orleans</c> the cluster itself.
    /// </summary>
    internal static IIngestTarget? CreateTarget(ParseResult parseResult, TextWriter error)
    {
        if (parseResult.GetValue(OrleansOption))
        {
            var redis = parseResult.GetValue(RedisOption);
            if (string.IsNullOrWhiteSpace(redis)) redis = Environment.GetEnvironmentVariable(OrleansSettings.RedisVariable);
            if (string.IsNullOrWhiteSpace(redis))
            {
                error.WriteLine($"--orleans needs the cluster's Redis: --redis HOST:PORT or ${OrleansSettings.RedisVariable}");
                return null;
            }

            try
            {
                return new OrleansTarget(new OrleansSettings(redis.Trim(), parseResult.GetValue(ClusterIdOption), parseResult.GetValue(ServiceIdOption)));
            }
            catch (ArgumentException e)
            {
                error.WriteLine($"--redis: not a Redis connection string ({e.Message})");
                return null;
            }
        }

        var gateways = GatewaySettings.ParseGateways(parseResult.GetValue(GatewayOption) ?? [], out var problem);
        if (problem is not null)
        {
            error.WriteLine(problem);
            return null;
        }

        var apiKey = parseResult.GetValue(ApiKeyOption);
        if (string.IsNullOrEmpty(apiKey)) apiKey = Environment.GetEnvironmentVariable(ApiKeyVariable);
        return new HttpGateway(new GatewaySettings(gateways, string.IsNullOrWhiteSpace(apiKey) ? null : apiKey.Trim()));
    }

    private static Command CreateSendCommand(TextWriter output, TextWriter error, IAnsiConsole? terminal, Func<Stream> standardInput)
    {
        var file = new Argument<string>("file") { Description = "Flow file (NDJSON, Zeek conn.log, VPC Flow Logs; gzip read directly), or - for standard input (gzip too)" };
        var batchSize = PositiveIntOption("--batch-size", 5000, "Lines per request (batches are cut on line boundaries)");
        var format = new Option<string?>("--format") { Description = "ndjson, zeek or vpc (default: detected from the first line, of stdin too)" };
        var speed = new Option<double?>("--speed")
        {
            Description = "Replay at N times the events' own time (1 = real time, 60 = an hour a minute), paced by their timestamps",
        };
        speed.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double?>() is { } value && (!(value > 0) || double.IsInfinity(value))) r.AddError("--speed must be a number above 0");
        });
        var max = new Option<bool>("--max") { Description = "Send as fast as the gateway takes it (the default)" };
        var workload = new Option<string[]>("--workload")
        {
            Description = "Name the workload of a source address or CIDR (10.0.0.5=web-1, 10.1.0.0/16=batch); repeatable. " +
                          "Applies to events whose workload is only their address (Zeek's id.orig_h, NDJSON without host)",
            AllowMultipleArgumentsPerToken = false,
        };
        var workloads = new Option<string[]>("--workloads") { Description = "File of 'CIDR NAME' lines (as --workload; '#' comments); repeatable" };
        var progressInterval = DurationOption("--progress-interval", TimeSpan.FromSeconds(5),
            "When the output is not a terminal: how often a progress line is printed (0 after every batch)");
        var command = new Command("send", "Send a flow file (NDJSON, Zeek conn.log as TSV or JSON, AWS VPC Flow Logs; .gz read directly) or stdin to the gateway " +
                                          "in batches and report rejected lines by file line number, with a progress bar on a terminal and a summary at the end. " +
                                          "Exit code: 0 all accepted, 1 some lines rejected, 2 transport or HTTP failure.")
        {
            file,
            batchSize,
            format,
            speed,
            max,
            workload,
            workloads,
            progressInterval,
        };

        command.SetAction((parseResult, cancellationToken) => Interruptible(error, cancellationToken, async () =>
        {
            if (parseResult.GetValue(max) && parseResult.GetValue(speed) is not null)
            {
                error.WriteLine("--speed and --max exclude each other: --max sends as fast as possible, --speed N paces by event time");
                return ExitUsage;
            }

            var names = WorkloadNames.Parse(parseResult.GetValue(workload) ?? [], parseResult.GetValue(workloads) ?? [], out var namesProblem);
            if (names is null)
            {
                error.WriteLine(namesProblem);
                return ExitUsage;
            }

            using var target = CreateTarget(parseResult, error);
            if (target is null) return ExitUsage;
            var path = parseResult.GetValue(file)!;
            var formatName = parseResult.GetValue(format);
            FlowFormat flowFormat = FlowFormat.Ndjson;
            if (formatName is not null && !FlowFormats.TryParse(formatName, out flowFormat))
            {
                error.WriteLine($"--format must be ndjson, zeek or vpc; got '{formatName}'");
                return ExitUsage;
            }

            FlowInput input;
            try
            {
                if (path == "-")
                {
                    (input, flowFormat) = await FlowFiles.OpenStandardInputAsync(standardInput(), formatName is null ? null : flowFormat, cancellationToken);
                }
                else
                {
                    if (formatName is null) flowFormat = FlowFiles.DetectFormat(path);
                    input = FlowFiles.OpenInput(path);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                error.WriteLine($"cannot read {path}: {e.Message}");
                return ExitUsage;
            }

            var sourceName = path == "-" ? "stdin" : path;
            SendReport report = terminal is not null
                ? new TerminalSendReport(terminal, sourceName)
                : new PlainSendReport(output, parseResult.GetValue(progressInterval));
            var settings = new SendSettings(parseResult.GetValue(batchSize), flowFormat) { Speed = parseResult.GetValue(speed), Workloads = names };
            await using (input)
            {
                return await new FlowFileSender(target, report, error).SendAsync(input, sourceName, settings, cancellationToken);
            }
        }));
        return command;
    }

    private static Command CreateDemoCommand(TextWriter output, TextWriter error)
    {
        var prefix = new Option<string>("--prefix")
        {
            Description = "Prefix for the demo's workload names (default: a new one each run, so runs against one cluster never add up; \"\" for the bare names)",
            DefaultValueFactory = _ => DemoScenario.NewRunPrefix(),
        };
        var batchSize = PositiveIntOption("--batch-size", 5000, "Events per request");
        var wait = DurationOption("--wait", TimeSpan.FromSeconds(10), "How long to wait for the expected alerts");
        var seed = new Option<int?>("--seed") { Description = "Seed of the scenario's randomness (default: a new one each run)" };
        var command = new Command("demo", "Send a realistic mix of traffic with one public and one internal port sweep, one unusual DNS-over-TLS, a sweep followed by a " +
                                          "scan (recon chain) and three workloads sweeping one port (fleet-wide sweep) in it, then print the alerts it raised. Exits non-zero unless exactly the expected alerts appear.")
        {
            prefix,
            batchSize,
            wait,
            seed,
        };

        command.SetAction((parseResult, cancellationToken) => Interruptible(error, cancellationToken, async () =>
        {
            using var target = CreateTarget(parseResult, error);
            if (target is null) return ExitUsage;
            var scenario = DemoScenario.Create(DateTimeOffset.UtcNow, parseResult.GetValue(prefix) ?? "", parseResult.GetValue(seed) ?? Random.Shared.Next());
            return await new DemoRun(target, output, error)
                .RunAsync(scenario, parseResult.GetValue(batchSize), parseResult.GetValue(wait), cancellationToken);
        }));
        return command;
    }

    private static Command CreateLoadCommand(TextWriter output, TextWriter error)
    {
        var workloads = new Option<int>("--workloads")
        {
            Description = $"Number of synthetic workloads sending at once (1-{LoadSettings.MaxWorkloads:N0})",
            DefaultValueFactory = _ => 100,
        };
        workloads.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > LoadSettings.MaxWorkloads) r.AddError($"--workloads must be 1-{LoadSettings.MaxWorkloads:N0}");
        });
        var skew = new Option<double>("--skew")
        {
            Description = "Zipf exponent of the workloads' shares of the traffic: 0 = uniform; 1 = a few heavy talkers and a long tail " +
                          "(the busiest of 10,000 sends ≈ 10% of the events)",
            DefaultValueFactory = _ => 0,
            CustomParser = r =>
            {
                var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
                if (double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) &&
                    value is >= 0 and <= LoadSettings.MaxSkew)
                {
                    return value;
                }

                r.AddError($"--skew: '{text}' is not a number from 0 to {LoadSettings.MaxSkew}");
                return 0;
            },
        };
        var rotate = new Option<int>("--rotate")
        {
            Description = "Replace N workloads a second by fresh ones (N or N/s): --workloads stay active at a time, " +
                          "--workloads + N × duration come and go over the run",
            DefaultValueFactory = _ => 0,
            CustomParser = r =>
            {
                var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
                var number = text.EndsWith("/s", StringComparison.Ordinal) ? text[..^2] : text;
                if (int.TryParse(number, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) &&
                    value <= LoadSettings.MaxRotatePerSecond)
                {
                    return value;
                }

                r.AddError($"--rotate: '{text}' is not a rate of 0-{LoadSettings.MaxRotatePerSecond:N0} workloads a second (try 500 or 500/s)");
                return 0;
            },
        };
        var workloadOffset = new Option<long>("--workload-offset")
        {
            Description = "Index of the first workload (load-w<N>…), so that a run presents workloads earlier runs never sent",
            DefaultValueFactory = _ => 0,
        };
        workloadOffset.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<long>() is < 0 or > LoadSettings.MaxWorkloadOffset) r.AddError($"--workload-offset must be 0-{LoadSettings.MaxWorkloadOffset:N0}");
        });
        var rate = new Option<int>("--rate") { Description = "Events per second (0 = as fast as possible)", DefaultValueFactory = _ => 0 };
        rate.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 0) r.AddError("--rate must be 0 or more");
        });
        var duration = DurationOption("--duration", TimeSpan.FromSeconds(30), "How long to run (30s, 2m, …)");
        var batchSize = PositiveIntOption("--batch-size", 10_000, "Events per request (with --rate, at most ~100 ms of events)");
        var concurrency = PositiveIntOption("--concurrency", 4, "Requests in flight");
        var warmup = DurationOption("--warmup", TimeSpan.FromSeconds(5),
            "Alert latencies in this first part of the run (JIT, first activations) are reported apart from the steady state");
        var sweepInterval = DurationOption("--sweep-interval", TimeSpan.FromSeconds(1), "How often a sweep is injected to time its alert");
        var probing = new Option<int>("--probing")
        {
            Description = "Percentage of the workloads whose traffic includes failed connections (the rest only establish)",
            DefaultValueFactory = _ => 100,
        };
        probing.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 0 or > 100) r.AddError("--probing must be 0-100");
        });
        var command = new Command("load", "Generate synthetic flows from many workloads and measure throughput and alert latency " +
                                          "(an injected sweep every --sweep-interval, timed until its alert is visible).")
        {
            workloads,
            rate,
            duration,
            batchSize,
            concurrency,
            warmup,
            sweepInterval,
            probing,
            skew,
            rotate,
            workloadOffset,
        };

        command.SetAction((parseResult, cancellationToken) => Interruptible(error, cancellationToken, async () =>
        {
            using var target = CreateTarget(parseResult, error);
            if (target is null) return ExitUsage;
            var settings = new LoadSettings(
                parseResult.GetValue(workloads), parseResult.GetValue(rate), parseResult.GetValue(duration),
                parseResult.GetValue(batchSize), parseResult.GetValue(concurrency))
            {
                Warmup = parseResult.GetValue(warmup),
                SweepInterval = parseResult.GetValue(sweepInterval) is { } interval && interval > TimeSpan.Zero ? interval : TimeSpan.FromSeconds(1),
                ProbingPercent = parseResult.GetValue(probing),
                Skew = parseResult.GetValue(skew),
                RotatePerSecond = parseResult.GetValue(rotate),
                WorkloadOffset = parseResult.GetValue(workloadOffset),
            };
            return await new LoadRun(target, settings, output).RunAsync(cancellationToken);
        }));
        return command;
    }

    private static async Task<int> Interruptible(TextWriter error, CancellationToken cancellationToken, Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            error.WriteLine("interrupted");
            return ExitInterrupted;
        }
    }

    private static Option<int> PositiveIntOption(string name, int defaultValue, string description)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1) r.AddError($"{name} must be at least 1");
        });
        return option;
    }

    private static Option<TimeSpan> DurationOption(string name, TimeSpan defaultValue, string description) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = r =>
        {
            var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : null;
            if (DurationText.TryParse(text, out var value)) return value;
            r.AddError($"{name}: '{text}' is not a duration (try 30s, 2m, 1h)");
            return default;
        },
    };
}
