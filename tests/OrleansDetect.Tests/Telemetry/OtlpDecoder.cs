using Google.Protobuf;

namespace OrleansDetect.Tests.Telemetry;

/// <summary>One exported span, as the collector would see it.</summary>
public sealed record OtlpSpan(
    string TraceId,
    string SpanId,
    string ParentSpanId,
    string Name,
    int Kind,
    string Scope,
    int StatusCode,
    IReadOnlyDictionary<string, object?> Attributes,
    IReadOnlyDictionary<string, object?> Resource)
{
    public const int KindServer = 2;
    public const int KindClient = 3;
    public const int StatusError = 2;

    public object? this[string attribute] => Attributes.GetValueOrDefault(attribute);
}

/// <summary>One exported metric data point: a sum or gauge value, or a histogram's count.</summary>
public sealed record OtlpPoint(
    string Metric,
    string Scope,
    double Value,
    ulong TimeUnixNano,
    IReadOnlyDictionary<string, object?> Attributes,
    IReadOnlyDictionary<string, object?> Resource);

/// <summary>
/// Decodes OTLP/HTTP protobuf export requests by walking the field numbers of opentelemetry-proto
/// (trace/v1/trace.proto, metrics/v1/metrics.proto, common/v1/common.proto, resource/v1/resource.proto).
/// </summary>
public static class OtlpDecoder
{
    public static List<OtlpSpan> Traces(byte[] body)
    {
        var spans = new List<OtlpSpan>();
        // ExportTraceServiceRequest: 1 = repeated ResourceSpans
        foreach (var resourceSpans in Repeated(body, 1))
        {
            IReadOnlyDictionary<string, object?> resource = new Dictionary<string, object?>();
            var scopeSpansList = new List<byte[]>();
            Walk(resourceSpans, (field, input) =>
            {
                switch (field)
                {
                    case 1: resource = ResourceAttributes(input.ReadBytes().ToByteArray()); return true; // Resource
                    case 2: scopeSpansList.Add(input.ReadBytes().ToByteArray()); return true; // ScopeSpans
                    default: return false;
                }
            });

            foreach (var scopeSpans in scopeSpansList)
            {
                var scope = "";
                var spanBodies = new List<byte[]>();
                Walk(scopeSpans, (field, input) =>
                {
                    switch (field)
                    {
                        case 1: scope = ScopeName(input.ReadBytes().ToByteArray()); return true; // InstrumentationScope
                        case 2: spanBodies.Add(input.ReadBytes().ToByteArray()); return true; // Span
                        default: return false;
                    }
                });

                foreach (var span in spanBodies) spans.Add(Span(span, scope, resource));
            }
        }

        return spans;
    }

    public static List<OtlpPoint> Metrics(byte[] body)
    {
        var points = new List<OtlpPoint>();
        // ExportMetricsServiceRequest: 1 = repeated ResourceMetrics
        foreach (var resourceMetrics in Repeated(body, 1))
        {
            IReadOnlyDictionary<string, object?> resource = new Dictionary<string, object?>();
            var scopeMetricsList = new List<byte[]>();
            Walk(resourceMetrics, (field, input) =>
            {
                switch (field)
                {
                    case 1: resource = ResourceAttributes(input.ReadBytes().ToByteArray()); return true;
                    case 2: scopeMetricsList.Add(input.ReadBytes().ToByteArray()); return true;
                    default: return false;
                }
            });

            foreach (var scopeMetrics in scopeMetricsList)
            {
                var scope = "";
                var metrics = new List<byte[]>();
                Walk(scopeMetrics, (field, input) =>
                {
                    switch (field)
                    {
                        case 1: scope = ScopeName(input.ReadBytes().ToByteArray()); return true;
                        case 2: metrics.Add(input.ReadBytes().ToByteArray()); return true;
                        default: return false;
                    }
                });

                foreach (var metric in metrics) AddMetric(points, metric, scope, resource);
            }
        }

        return points;
    }

    private static OtlpSpan Span(byte[] body, string scope, IReadOnlyDictionary<string, object?> resource)
    {
        string traceId = "", spanId = "", parent = "", name = "";
        int kind = 0, status = 0;
        var attributes = new Dictionary<string, object?>();
        Walk(body, (field, input) =>
        {
            switch (field)
            {
                case 1: traceId = Convert.ToHexStringLower(input.ReadBytes().Span); return true;
                case 2: spanId = Convert.ToHexStringLower(input.ReadBytes().Span); return true;
                case 4: parent = Convert.ToHexStringLower(input.ReadBytes().Span); return true;
                case 5: name = input.ReadString(); return true;
                case 6: kind = input.ReadEnum(); return true;
                case 9: AddKeyValue(attributes, input.ReadBytes().ToByteArray()); return true;
                case 15: status = StatusCode(input.ReadBytes().ToByteArray()); return true;
                default: return false;
            }
        });
        return new OtlpSpan(traceId, spanId, parent, name, kind, scope, status, attributes, resource);
    }

    private static void AddMetric(List<OtlpPoint> points, byte[] body, string scope, IReadOnlyDictionary<string, object?> resource)
    {
        var name = "";
        var data = new List<(int Kind, byte[] Body)>();
        Walk(body, (field, input) =>
        {
            switch (field)
            {
                case 1: name = input.ReadString(); return true;
                case 5 or 7 or 9: data.Add((field, input.ReadBytes().ToByteArray())); return true; // Gauge, Sum, Histogram
                default: return false;
            }
        });

        foreach (var (kind, dataBody) in data)
        {
            // Gauge/Sum/Histogram: 1 = repeated data points
            foreach (var point in Repeated(dataBody, 1))
            {
                points.Add(kind == 9 ? HistogramPoint(name, scope, point, resource) : NumberPoint(name, scope, point, resource));
            }
        }
    }

    private static OtlpPoint NumberPoint(string metric, string scope, byte[] body, IReadOnlyDictionary<string, object?> resource)
    {
        double value = 0;
        ulong time = 0;
        var attributes = new Dictionary<string, object?>();
        Walk(body, (field, input) =>
        {
            switch (field)
            {
                case 3: time = input.ReadFixed64(); return true;
                case 4: value = input.ReadDouble(); return true; // as_double
                case 6: value = input.ReadSFixed64(); return true; // as_int
                case 7: AddKeyValue(attributes, input.ReadBytes().ToByteArray()); return true;
                default: return false;
            }
        });
        return new OtlpPoint(metric, scope, value, time, attributes, resource);
    }

    private static OtlpPoint HistogramPoint(string metric, string scope, byte[] body, IReadOnlyDictionary<string, object?> resource)
    {
        ulong count = 0, time = 0;
        var attributes = new Dictionary<string, object?>();
        Walk(body, (field, input) =>
        {
            switch (field)
            {
                case 3: time = input.ReadFixed64(); return true;
                case 4: count = input.ReadFixed64(); return true;
                case 9: AddKeyValue(attributes, input.ReadBytes().ToByteArray()); return true;
                default: return false;
            }
        });
        return new OtlpPoint(metric, scope, count, time, attributes, resource);
    }

    private static IReadOnlyDictionary<string, object?> ResourceAttributes(byte[] body)
    {
        var attributes = new Dictionary<string, object?>();
        Walk(body, (field, input) =>
        {
            if (field != 1) return false;
            AddKeyValue(attributes, input.ReadBytes().ToByteArray());
            return true;
        });
        return attributes;
    }

    private static string ScopeName(byte[] body)
    {
        var name = "";
        Walk(body, (field, input) =>
        {
            if (field != 1) return false;
            name = input.ReadString();
            return true;
        });
        return name;
    }

    private static int StatusCode(byte[] body)
    {
        var code = 0;
        Walk(body, (field, input) =>
        {
            if (field != 3) return false; // Status: 2 = message, 3 = code
            code = input.ReadEnum();
            return true;
        });
        return code;
    }

    /// <summary>KeyValue: 1 = key, 2 = AnyValue (1 string, 2 bool, 3 int64, 4 double, 5 array, 6 kvlist, 7 bytes).</summary>
    private static void AddKeyValue(Dictionary<string, object?> into, byte[] body)
    {
        var key = "";
        object? value = null;
        Walk(body, (field, input) =>
        {
            switch (field)
            {
                case 1: key = input.ReadString(); return true;
                case 2: value = AnyValue(input.ReadBytes().ToByteArray()); return true;
                default: return false;
            }
        });
        into[key] = value;
    }

    private static object? AnyValue(byte[] body)
    {
        object? value = null;
        Walk(body, (field, input) =>
        {
            switch (field)
            {
                case 1: value = input.ReadString(); return true;
                case 2: value = input.ReadBool(); return true;
                case 3: value = input.ReadInt64(); return true;
                case 4: value = input.ReadDouble(); return true;
                case 5: value = Repeated(input.ReadBytes().ToByteArray(), 1).Select(AnyValue).ToArray(); return true; // ArrayValue
                default: return false;
            }
        });
        return value;
    }

    private static List<byte[]> Repeated(byte[] body, int fieldNumber)
    {
        var items = new List<byte[]>();
        Walk(body, (field, input) =>
        {
            if (field != fieldNumber) return false;
            items.Add(input.ReadBytes().ToByteArray());
            return true;
        });
        return items;
    }

    /// <summary>Calls <paramref name="read"/> for each field; a field it does not read (returns false) is skipped.</summary>
    private static void Walk(byte[] body, Func<int, CodedInputStream, bool> read)
    {
        var input = new CodedInputStream(body);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (!read(WireFormat.GetTagFieldNumber(tag), input)) input.SkipLastField();
        }
    }
}
