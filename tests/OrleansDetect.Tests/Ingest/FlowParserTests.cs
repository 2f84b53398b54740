using System.Text;
using OrleansDetect.Ingest;

namespace OrleansDetect.Tests.Ingest;

public sealed class FlowParserTests
{
    private const string Line =
        """{"ts":"2026-11-28T04:47:57.123Z","host":"web-1","src":"10.1.2.3","sport":51234,"dst":"198.51.100.7","dport":22,"proto":"tcp","state":"attempted","bytes":60,"packets":1}""";

    private static readonly long LineTimeMs = DateTimeOffset.Parse("2026-11-28T04:47:57.123Z").ToUnixTimeMilliseconds();

    private static ParsedFlows Parse(string body, int maxErrors = 100) => new FlowParser(maxErrors).Parse(Encoding.UTF8.GetBytes(body));

    /// <summary>A valid tcp event with the given JSON members spliced in (later keys win, so they override the defaults).</summary>
    private static string With(string members) =>
        "{\"ts\":\"2026-11-28T04:47:57Z\",\"src\":\"10.0.0.1\",\"dst\":\"10.0.0.2\",\"dport\":443,\"proto\":\"tcp\"," + members + "}";

    private static FlowEvent Single(ParsedFlows parsed)
    {
        Assert.Empty(parsed.Errors);
        var batch = Assert.Single(parsed.Batches);
        return Assert.Single(batch.Events);
    }

    private static string SingleError(ParsedFlows parsed)
    {
        Assert.Equal(0, parsed.Accepted);
        Assert.Equal(1, parsed.Rejected);
        return Assert.Single(parsed.Errors).Error;
    }

    [Fact]
    public void Design_example_line_becomes_one_event_for_its_workload()
    {
        var parsed = Parse(Line);

        Assert.False(parsed.IsEmpty);
        Assert.Equal(1, parsed.Accepted);
        Assert.Equal(0, parsed.Rejected);
        var batch = Assert.Single(parsed.Batches);
        Assert.Equal("web-1", batch.Workload);
        Assert.Equal(
            new FlowEvent(LineTimeMs, NetAddress.Parse("10.1.2.3"), 51234, NetAddress.Parse("198.51.100.7"), 22, FlowProtocol.Tcp, FlowState.Attempted, 60, 1),
            Assert.Single(batch.Events));
    }

    [Theory]
    [InlineData("\"2026-11-28T04:47:57.123Z\"", "2026-11-28T04:47:57.123Z")]
    [InlineData("\"2026-11-28T04:47:57Z\"", "2026-11-28T04:47:57Z")]
    [InlineData("\"2026-11-28T06:47:57.5+02:00\"", "2026-11-28T04:47:57.5Z")]
    [InlineData("\"2026-11-27T23:17:57.123-05:30\"", "2026-11-28T04:47:57.123Z")]
    [InlineData("\"2026-11-28t04:47:57.123456789z\"", "2026-11-28T04:47:57.123Z")]
    [InlineData("\"2024-02-29T00:00:00Z\"", "2024-02-29T00:00:00Z")]
    [InlineData("1795841277", "2026-11-28T04:47:57Z")]
    [InlineData("1795841277.123", "2026-11-28T04:47:57.123Z")]
    [InlineData("1795841277.1239", "2026-11-28T04:47:57.123Z")]
    [InlineData("1.795841277123e9", "2026-11-28T04:47:57.123Z")]
    [InlineData("0", "1970-01-01T00:00:00Z")]
    public void Ts_accepts_rfc3339_with_any_offset_and_unix_seconds(string ts, string expected)
    {
        var flow = Single(Parse(With($"\"ts\":{ts}")));

        Assert.Equal(DateTimeOffset.Parse(expected).ToUnixTimeMilliseconds(), flow.TimeMs);
    }

    [Theory]
    [InlineData("time")]
    [InlineData("timestamp")]
    public void Ts_has_aliases(string key)
    {
        var parsed = Parse($$"""{"{{key}}":"2026-11-28T04:47:57.123Z","src":"10.0.0.1","dst":"10.0.0.2","dport":443,"proto":"tcp"}""");

        Assert.Equal(LineTimeMs, Single(parsed).TimeMs);
    }

    [Theory]
    [InlineData("\"2026-13-01T00:00:00Z\"", "field 'ts': '2026-13-01T00:00:00Z' is not an RFC 3339 timestamp or a number of Unix seconds")]
    [InlineData("\"2026-02-29T00:00:00Z\"", "field 'ts': '2026-02-29T00:00:00Z' is not an RFC 3339 timestamp or a number of Unix seconds")]
    [InlineData("\"1795841277\"", "field 'ts': '1795841277' is not an RFC 3339 timestamp or a number of Unix seconds")]
    [InlineData("\"yesterday\"", "field 'ts': 'yesterday' is not an RFC 3339 timestamp or a number of Unix seconds")]
    [InlineData("\"2026-11-28T04:47:57\"", "field 'ts': '2026-11-28T04:47:57' has no UTC offset (end it with 'Z' or '+hh:mm')")]
    [InlineData("\"1969-12-31T23:59:59Z\"", "field 'ts': '1969-12-31T23:59:59Z' is before 1970")]
    [InlineData("-1", "field 'ts': -1 is before 1970")]
    [InlineData("1795841277123", "field 'ts': 1795841277123 is too large for Unix seconds (milliseconds?)")]
    [InlineData("true", "field 'ts': true is not an RFC 3339 timestamp or a number of Unix seconds")]
    public void Invalid_ts_is_rejected_naming_the_field_and_value(string ts, string error)
    {
        Assert.Equal(error, SingleError(Parse(With($"\"ts\":{ts}"))));
    }

    [Fact]
    public void Error_names_the_alias_the_client_used()
    {
        Assert.StartsWith("field 'timestamp': 'soon'", SingleError(Parse(With("\"timestamp\":\"soon\""))));
    }

    [Fact]
    public void Ipv6_addresses_are_accepted_and_the_default_workload_is_the_canonical_source()
    {
        var parsed = Parse("""{"ts":1795841277,"src":"2001:DB8:0:0::1","dst":"2001:db8::53","dport":53,"proto":"udp"}""");

        var batch = Assert.Single(parsed.Batches);
        Assert.Equal("2001:db8::1", batch.Workload);
        var flow = Assert.Single(batch.Events);
        Assert.Equal(NetAddress.Parse("2001:db8::1"), flow.Src);
        Assert.Equal(NetAddress.Parse("2001:db8::53"), flow.Dst);
        Assert.False(flow.Dst.IsV4);
    }

    [Fact]
    public void Ipv4_mapped_ipv6_is_treated_as_ipv4()
    {
        var flow = Single(Parse(With("\"src\":\"::ffff:10.9.8.7\"")));

        Assert.True(flow.Src.IsV4);
        Assert.Equal(NetAddress.FromV4(10, 9, 8, 7), flow.Src);
    }

    [Fact]
    public void Without_host_events_group_under_their_source_address_together_with_an_explicit_host_of_that_name()
    {
        var body = string.Join('\n',
            With("\"src\":\"10.0.0.9\",\"dport\":1"),
            With("\"src\":\"10.0.0.8\",\"dport\":2"),
            With("\"src\":\"10.0.0.9\",\"host\":\"10.0.0.9\",\"dport\":3"),
            With("\"src\":\"10.0.0.9\",\"workload\":\"db-1\",\"dport\":4"));

        var parsed = Parse(body);

        Assert.Equal(["10.0.0.9", "10.0.0.8", "db-1"], parsed.Batches.Select(b => b.Workload));
        Assert.Equal([1, 3], parsed.Batches[0].Events.Select(e => (int)e.DstPort));
        Assert.Equal([2], parsed.Batches[1].Events.Select(e => (int)e.DstPort));
        Assert.Equal([4], parsed.Batches[2].Events.Select(e => (int)e.DstPort));
    }

    [Fact]
    public void Events_keep_body_order_within_a_workload_and_repeated_hosts_share_one_name()
    {
        var lines = Enumerable.Range(1, 50).Select(i => With($"\"host\":\"{(i % 2 == 0 ? "even" : "odd")}\",\"dport\":{i}"));

        var parsed = Parse(string.Join('\n', lines));

        Assert.Equal(50, parsed.Accepted);
        Assert.Equal(["odd", "even"], parsed.Batches.Select(b => b.Workload));
        Assert.Equal(Enumerable.Range(0, 25).Select(i => (2 * i) + 1), parsed.Batches[0].Events.Select(e => (int)e.DstPort));
        Assert.Equal(Enumerable.Range(1, 25).Select(i => 2 * i), parsed.Batches[1].Events.Select(e => (int)e.DstPort));
    }

    [Fact]
    public void Escaped_host_is_the_same_workload_as_its_plain_spelling()
    {
        var parsed = Parse(With("\"host\":\"web-1\"") + "\n" + With("\"host\":\"web\\u002d1\"") + "\n" + With("\"host\":\"caf\\u00e9\""));

        Assert.Equal(["web-1", "café"], parsed.Batches.Select(b => b.Workload));
        Assert.Equal(2, parsed.Batches[0].Events.Length);
    }

    [Theory]
    [InlineData("\"host\":\"\"", "field 'host': must not be empty")]
    [InlineData("\"workload\":\"\"", "field 'workload': must not be empty")]
    [InlineData("\"host\":42", "field 'host': 42 is not a string")]
    public void Invalid_host_is_rejected(string member, string error)
    {
        Assert.Equal(error, SingleError(Parse(With(member))));
    }

    [Fact]
    public void Host_may_be_256_characters_but_not_257()
    {
        var longest = new string('h', 256);

        Assert.Equal(longest, Assert.Single(Parse(With($"\"host\":\"{longest}\"")).Batches).Workload);
        Assert.Equal("field 'host': longer than 256 characters", SingleError(Parse(With($"\"host\":\"{longest}x\""))));
        Assert.Equal("field 'host': longer than 256 characters", SingleError(Parse(With($"\"host\":\"{new string('h', 5000)}\""))));
    }

    [Theory]
    [InlineData("src", "\"not-an-ip\"", "field 'src': 'not-an-ip' is not an IPv4 or IPv6 address")]
    [InlineData("dst", "\"256.1.1.1\"", "field 'dst': '256.1.1.1' is not an IPv4 or IPv6 address")]
    [InlineData("dst", "\"10.1\"", "field 'dst': '10.1' is not an IPv4 or IPv6 address")]
    [InlineData("dst", "\"010.1.2.3\"", "field 'dst': '010.1.2.3' is not an IPv4 or IPv6 address")]
    [InlineData("dst", "\" 10.1.2.3\"", "field 'dst': ' 10.1.2.3' is not an IPv4 or IPv6 address")]
    [InlineData("dst", "\"2001:db8::zz\"", "field 'dst': '2001:db8::zz' is not an IPv4 or IPv6 address")]
    [InlineData("src", "167772161", "field 'src': 167772161 is not an IPv4 or IPv6 address")]
    [InlineData("src", "[\"10.0.0.1\"]", "field 'src': an array is not an IPv4 or IPv6 address")]
    public void Invalid_address_is_rejected_naming_the_field_and_value(string key, string value, string error)
    {
        Assert.Equal(error, SingleError(Parse(With($"\"{key}\":{value}"))));
    }

    [Theory]
    [InlineData("ts")]
    [InlineData("src")]
    [InlineData("dst")]
    [InlineData("proto")]
    public void Missing_required_field_is_named(string field)
    {
        var members = new Dictionary<string, string>
        {
            ["ts"] = "\"ts\":1795841277",
            ["src"] = "\"src\":\"10.0.0.1\"",
            ["dst"] = "\"dst\":\"10.0.0.2\"",
            ["proto"] = "\"proto\":\"icmp\"",
        };
        members.Remove(field);

        Assert.Equal($"missing required field '{field}'", SingleError(Parse("{" + string.Join(',', members.Values) + "}")));
    }

    [Theory]
    [InlineData("\"dport\":70000", "field 'dport': 70000 is outside 0-65535")]
    [InlineData("\"dport\":-1", "field 'dport': -1 is outside 0-65535")]
    [InlineData("\"dport\":99999999999999999999", "field 'dport': 99999999999999999999 is outside 0-65535")]
    [InlineData("\"dport\":22.5", "field 'dport': 22.5 is not an integer")]
    [InlineData("\"dport\":\"22\"", "field 'dport': '22' is not an integer")]
    [InlineData("\"sport\":65536", "field 'sport': 65536 is outside 0-65535")]
    [InlineData("\"sport\":true", "field 'sport': true is not an integer")]
    public void Invalid_port_is_rejected_naming_the_field_and_value(string member, string error)
    {
        Assert.Equal(error, SingleError(Parse(With(member))));
    }

    [Fact]
    public void Ports_span_0_to_65535_and_sport_defaults_to_0()
    {
        Assert.Equal(65535, Single(Parse(With("\"dport\":65535,\"sport\":0"))).DstPort);
        Assert.Equal(0, Single(Parse(With(""" "dport":0 """))).DstPort);
        Assert.Equal(0, Single(Parse(With(""" "dport":1 """))).SrcPort);
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    public void Dport_is_required_for_tcp_and_udp(string proto)
    {
        var parsed = Parse($$"""{"ts":1795841277,"src":"10.0.0.1","dst":"10.0.0.2","proto":"{{proto}}"}""");

        Assert.Equal("missing required field 'dport' (required for tcp and udp)", SingleError(parsed));
    }

    [Fact]
    public void Dport_is_optional_for_icmp()
    {
        var flow = Single(Parse("""{"ts":1795841277,"src":"10.0.0.1","dst":"10.0.0.2","proto":"icmp"}"""));

        Assert.Equal(FlowProtocol.Icmp, flow.Protocol);
        Assert.Equal(0, flow.DstPort);
    }

    [Theory]
    [InlineData("\"tcp\"", FlowProtocol.Tcp)]
    [InlineData("\"TCP\"", FlowProtocol.Tcp)]
    [InlineData("\"Udp\"", FlowProtocol.Udp)]
    [InlineData("\"icmp\"", FlowProtocol.Icmp)]
    [InlineData("\"icmp6\"", FlowProtocol.Icmp)]
    [InlineData("\"ipv6-icmp\"", FlowProtocol.Icmp)]
    [InlineData("\"\\u0074cp\"", FlowProtocol.Tcp)]
    [InlineData("6", FlowProtocol.Tcp)]
    [InlineData("17", FlowProtocol.Udp)]
    [InlineData("1", FlowProtocol.Icmp)]
    [InlineData("58", FlowProtocol.Icmp)]
    public void Proto_accepts_names_and_iana_numbers(string proto, FlowProtocol expected)
    {
        Assert.Equal(expected, Single(Parse(With($"\"proto\":{proto}"))).Protocol);
    }

    [Theory]
    [InlineData("\"sctp\"", "field 'proto': 'sctp' is not tcp, udp or icmp")]
    [InlineData("132", "field 'proto': 132 is not tcp, udp or icmp")]
    [InlineData("\"6\"", "field 'proto': '6' is not tcp, udp or icmp")]
    public void Unknown_proto_is_rejected(string proto, string error)
    {
        Assert.Equal(error, SingleError(Parse(With($"\"proto\":{proto}"))));
    }

    [Theory]
    [InlineData("attempted", FlowState.Attempted)]
    [InlineData("Rejected", FlowState.Rejected)]
    [InlineData("ESTABLISHED", FlowState.Established)]
    [InlineData("S0", FlowState.Attempted)]
    [InlineData("SH", FlowState.Attempted)]
    [InlineData("SHR", FlowState.Attempted)]
    [InlineData("RSTOS0", FlowState.Attempted)]
    [InlineData("REJ", FlowState.Rejected)]
    [InlineData("RSTRH", FlowState.Rejected)]
    [InlineData("SF", FlowState.Established)]
    [InlineData("S1", FlowState.Established)]
    [InlineData("S2", FlowState.Established)]
    [InlineData("S3", FlowState.Established)]
    [InlineData("RSTO", FlowState.Established)]
    [InlineData("RSTR", FlowState.Established)]
    [InlineData("OTH", FlowState.Established)]
    public void State_accepts_our_names_and_zeek_conn_state_codes(string state, FlowState expected)
    {
        // Counters that would infer "attempted" show the explicit state wins.
        Assert.Equal(expected, Single(Parse(With($"\"state\":\"{state}\",\"packets\":1,\"bytes\":40"))).State);
    }

    [Fact]
    public void Unknown_state_is_rejected()
    {
        Assert.Equal(
            "field 'state': 'timeout' is not attempted, rejected, established or a Zeek conn_state",
            SingleError(Parse(With("\"state\":\"timeout\""))));
    }

    [Theory]
    [InlineData("\"S\"", FlowState.Attempted)]
    [InlineData("\"....S.\"", FlowState.Attempted)]
    [InlineData("\"SA\"", FlowState.Established)]
    [InlineData("\"R\"", FlowState.Rejected)]
    [InlineData("\"RA\"", FlowState.Rejected)]
    [InlineData("\"SR\"", FlowState.Rejected)]
    [InlineData("\"FPA\"", FlowState.Established)]
    [InlineData("\"RPA\"", FlowState.Established)]
    [InlineData("\"A\"", FlowState.Established)]
    [InlineData("\"\"", FlowState.Established)]
    [InlineData("2", FlowState.Attempted)]
    [InlineData("18", FlowState.Established)]
    [InlineData("20", FlowState.Rejected)]
    [InlineData("0", FlowState.Established)]
    public void Without_state_tcp_flags_decide(string flags, FlowState expected)
    {
        // Counters alone would say "attempted"; the flags take precedence.
        Assert.Equal(expected, Single(Parse(With($"\"flags\":{flags},\"packets\":1,\"bytes\":40"))).State);
    }

    [Fact]
    public void A_reset_that_carried_data_is_not_a_refusal()
    {
        Assert.Equal(FlowState.Established, Single(Parse(With("\"flags\":\"RA\",\"packets\":4,\"bytes\":4000"))).State);
    }

    [Theory]
    [InlineData("\"flags\":\"SYN\"", "field 'flags': 'SYN' is not TCP flags (letters such as \"SA\", or a bitmask 0-65535)")]
    [InlineData("\"flags\":-1", "field 'flags': -1 is not TCP flags (letters such as \"SA\", or a bitmask 0-65535)")]
    public void Invalid_flags_are_rejected(string member, string error)
    {
        Assert.Equal(error, SingleError(Parse(With(member))));
    }

    [Theory]
    [InlineData("tcp", "\"packets\":1,\"bytes\":60", FlowState.Attempted)]
    [InlineData("tcp", "\"packets\":3,\"bytes\":180", FlowState.Attempted)]
    [InlineData("tcp", "\"packets\":3,\"bytes\":300", FlowState.Attempted)]
    [InlineData("tcp", "\"packets\":3,\"bytes\":301", FlowState.Established)]
    [InlineData("tcp", "\"packets\":4,\"bytes\":160", FlowState.Established)]
    [InlineData("tcp", "\"packets\":2", FlowState.Attempted)]
    [InlineData("tcp", "\"bytes\":60", FlowState.Attempted)]
    [InlineData("tcp", "\"bytes\":1500", FlowState.Established)]
    [InlineData("udp", "\"packets\":1,\"bytes\":80", FlowState.Attempted)]
    [InlineData("udp", "\"packets\":2,\"bytes\":256", FlowState.Attempted)]
    [InlineData("udp", "\"packets\":2,\"bytes\":257", FlowState.Established)]
    [InlineData("udp", "\"packets\":3,\"bytes\":90", FlowState.Established)]
    [InlineData("icmp", "\"packets\":1,\"bytes\":64", FlowState.Established)]
    public void Without_state_or_flags_counters_decide(string proto, string counters, FlowState expected)
    {
        Assert.Equal(expected, Single(Parse(With($"\"proto\":\"{proto}\",{counters}"))).State);
    }

    [Theory]
    [InlineData("tcp", "")]
    [InlineData("udp", "")]
    [InlineData("tcp", ",\"packets\":0,\"bytes\":0")]
    [InlineData("udp", ",\"packets\":0")]
    public void Without_any_evidence_the_outcome_counts_as_established(string proto, string counters)
    {
        Assert.Equal(FlowState.Established, Single(Parse(With($"\"proto\":\"{proto}\"{counters}"))).State);
    }

    [Theory]
    [InlineData("\"bytes\":-5", "field 'bytes': -5 is negative")]
    [InlineData("\"bytes\":1.5", "field 'bytes': 1.5 is not an integer")]
    [InlineData("\"bytes\":\"60\"", "field 'bytes': '60' is not an integer")]
    [InlineData("\"packets\":-1", "field 'packets': -1 is negative")]
    [InlineData("\"packets\":1e3", "field 'packets': 1e3 is not an integer")]
    [InlineData("\"packets\":-99999999999999999999", "field 'packets': -99999999999999999999 is negative")]
    [InlineData("\"packets\":99999999999999999999", "field 'packets': 99999999999999999999 is too large")]
    public void Invalid_counters_are_rejected(string member, string error)
    {
        Assert.Equal(error, SingleError(Parse(With(member))));
    }

    [Fact]
    public void Counters_default_to_zero()
    {
        var flow = Single(Parse(With("\"state\":\"established\"")));

        Assert.Equal(0, flow.Bytes);
        Assert.Equal(0, flow.Packets);
    }

    [Fact]
    public void Unknown_fields_of_any_shape_are_ignored()
    {
        var flow = Single(Parse(With("\"uid\":\"CHhAvVGS1DHFjwGM9\",\"tags\":[1,{\"a\":[]}],\"geo\":{\"dst\":\"nowhere\"},\"ok\":true,\"note\":null,\"dport\":8443")));

        Assert.Equal(8443, flow.DstPort);
        Assert.Equal(NetAddress.Parse("10.0.0.2"), flow.Dst);
    }

    [Fact]
    public void Duplicate_keys_last_wins_for_both_valid_and_invalid_values()
    {
        Assert.Equal(22, Single(Parse(With("\"dport\":70000,\"dport\":22"))).DstPort);
        Assert.Equal("field 'dport': 70000 is outside 0-65535", SingleError(Parse(With("\"dport\":22,\"dport\":70000"))));
        Assert.Equal("web-2", Assert.Single(Parse(With("\"host\":\"web-1\",\"workload\":\"web-2\"")).Batches).Workload);
    }

    [Fact]
    public void Null_reads_as_absent()
    {
        var flow = Single(Parse(With("\"host\":null,\"sport\":null,\"state\":null,\"bytes\":null,\"flags\":null")));

        Assert.Equal(0, flow.SrcPort);
        Assert.Equal(FlowState.Established, flow.State);
        Assert.Equal("missing required field 'dst'", SingleError(Parse(With("\"dst\":null"))));
    }

    [Fact]
    public void Every_problem_of_a_line_is_reported_in_its_one_error()
    {
        var parsed = Parse("""{"src":"nope","dport":70000,"proto":"tcp"}""");

        Assert.Equal(
            "missing required field 'ts'; field 'src': 'nope' is not an IPv4 or IPv6 address; field 'dport': 70000 is outside 0-65535; missing required field 'dst'"
                .Split("; ").Order(),
            SingleError(parsed).Split("; ").Order());
    }

    [Fact]
    public void Mixed_body_keeps_the_good_lines_and_names_each_bad_line_and_field()
    {
        string[] lines =
        [
            With("\"dport\":1"),                                 // 1 good
            "",                                                  // 2 blank
            With("\"dport\":70000"),                             // 3 bad port
            "{\"ts\":1795841277,\"src\":\"10.0.0.1\"",           // 4 truncated JSON
            With("\"dport\":2"),                                 // 5 good
            "   \t ",                                            // 6 blank
            With("\"src\":\"not-an-ip\""),                       // 7 bad src
            "[1,2]",                                             // 8 not an object
            With("\"proto\":\"sctp\""),                          // 9 bad proto
            With("\"state\":\"gone\""),                          // 10 bad state
            With("\"dport\":3") + " trailing",                   // 11 junk after the object
            With("\"bytes\":-1"),                                // 12 bad counter
            With("\"ts\":\"noon\""),                             // 13 bad ts
            """{"ts":1795841277,"src":"10.0.0.1","proto":"icmp"}""", // 14 missing dst
            With("\"host\":\"\""),                               // 15 empty host
            "null",                                              // 16 not an object
            With("\"dport\":4"),                                 // 17 good
        ];

        var parsed = Parse(string.Join("\r\n", lines) + "\r\n");

        Assert.False(parsed.IsEmpty);
        Assert.Equal(3, parsed.Accepted);
        Assert.Equal(12, parsed.Rejected);
        Assert.Equal([1, 2, 4], Assert.Single(parsed.Batches).Events.Select(e => (int)e.DstPort));
        Assert.Equal([3, 4, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], parsed.Errors.Select(e => e.Line));
        var byLine = parsed.Errors.ToDictionary(e => e.Line, e => e.Error);
        Assert.Equal("field 'dport': 70000 is outside 0-65535", byLine[3]);
        Assert.StartsWith("not valid JSON: ", byLine[4]);
        Assert.Equal("field 'src': 'not-an-ip' is not an IPv4 or IPv6 address", byLine[7]);
        Assert.Equal("expected a JSON object, got an array", byLine[8]);
        Assert.StartsWith("field 'proto': ", byLine[9]);
        Assert.StartsWith("field 'state': ", byLine[10]);
        Assert.StartsWith("not valid JSON: ", byLine[11]);
        Assert.StartsWith("field 'bytes': ", byLine[12]);
        Assert.StartsWith("field 'ts': ", byLine[13]);
        Assert.Equal("missing required field 'dst'", byLine[14]);
        Assert.StartsWith("field 'host': ", byLine[15]);
        Assert.Equal("expected a JSON object, got null", byLine[16]);
    }

    [Fact]
    public void Invalid_json_error_explains_without_the_readers_zero_based_position()
    {
        var error = SingleError(Parse("{\"ts\":1795841277,,}"));

        Assert.StartsWith("not valid JSON: ", error);
        Assert.DoesNotContain("LineNumber", error);
        Assert.Contains("(byte ", error);
    }

    [Fact]
    public void Utf8_bom_and_a_last_line_without_newline_are_fine()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(With("\"dport\":1") + "\n" + With("\"dport\":2"))).ToArray();

        var parsed = new FlowParser().Parse(bytes);

        Assert.Equal(2, parsed.Accepted);
        Assert.Empty(parsed.Errors);
    }

    [Fact]
    public void Json_array_body_is_accepted()
    {
        var parsed = Parse("  \n[" + Line + ",\n " + With("\"host\":\"web-1\",\"dport\":80") + "]\n");

        Assert.Equal(2, parsed.Accepted);
        Assert.Equal([22, 80], Assert.Single(parsed.Batches).Events.Select(e => (int)e.DstPort));
    }

    [Fact]
    public void Json_array_errors_name_the_element_index()
    {
        var parsed = Parse("[" + string.Join(',', With("\"dport\":1"), With("\"dport\":70000"), "42", With("\"dport\":2"), With("\"src\":\"x\"")) + "]");

        Assert.Equal(2, parsed.Accepted);
        Assert.Equal(3, parsed.Rejected);
        Assert.Equal(
            [new LineError(2, "field 'dport': 70000 is outside 0-65535"), new LineError(3, "expected a JSON object, got 42"), new LineError(5, "field 'src': 'x' is not an IPv4 or IPv6 address")],
            parsed.Errors);
    }

    [Fact]
    public void Truncated_json_array_keeps_the_elements_before_the_break()
    {
        var whole = "[" + With("\"dport\":1") + "," + With("\"dport\":2") + "," + With("\"dport\":3") + "]";
        var truncated = whole[..(whole.Length - 20)];

        var parsed = Parse(truncated);

        Assert.Equal([1, 2], Assert.Single(parsed.Batches).Events.Select(e => (int)e.DstPort));
        var error = Assert.Single(parsed.Errors);
        Assert.Equal(3, error.Line);
        Assert.StartsWith("not valid JSON in this element: ", error.Error);
    }

    [Fact]
    public void Json_array_cut_between_elements_reports_the_next_element()
    {
        var parsed = Parse("[" + With("\"dport\":1") + ",");

        Assert.Equal(1, parsed.Accepted);
        Assert.Equal(2, Assert.Single(parsed.Errors).Line);
    }

    [Fact]
    public void Junk_after_a_json_array_is_reported_and_its_elements_kept()
    {
        var parsed = Parse("[" + With("\"dport\":1") + "] x");

        Assert.Equal(1, parsed.Accepted);
        Assert.StartsWith("not valid JSON after the array's end: ", Assert.Single(parsed.Errors).Error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\n\r\n\t \n")]
    [InlineData("\uFEFF")]
    [InlineData("[]")]
    [InlineData(" [ \n ] ")]
    public void Body_without_lines_or_elements_is_empty(string body)
    {
        var parsed = Parse(body);

        Assert.True(parsed.IsEmpty);
        Assert.Empty(parsed.Batches);
        Assert.Equal(0, parsed.Accepted);
        Assert.Equal(0, parsed.Rejected);
    }

    [Fact]
    public void A_body_with_only_bad_lines_is_not_empty()
    {
        var parsed = Parse("hello\n");

        Assert.False(parsed.IsEmpty);
        Assert.Equal(1, parsed.Rejected);
    }

    [Fact]
    public void Errors_are_capped_but_every_rejected_line_is_counted()
    {
        var parsed = Parse(string.Join('\n', Enumerable.Repeat("{}", 10)) + "\n" + With("\"dport\":1"), maxErrors: 3);

        Assert.Equal(1, parsed.Accepted);
        Assert.Equal(10, parsed.Rejected);
        Assert.Equal([1, 2, 3], parsed.Errors.Select(e => e.Line));
    }

    [Fact]
    public void Large_body_keeps_every_event()
    {
        var body = string.Join('\n', Enumerable.Range(0, 5000).Select(i => With($"\"host\":\"w{i % 7}\",\"dport\":{i % 65536}")));

        var parsed = Parse(body);

        Assert.Equal(5000, parsed.Accepted);
        Assert.Equal(7, parsed.Batches.Length);
        Assert.Equal(5000, parsed.Batches.Sum(b => b.Events.Length));
    }

    [Theory]
    [InlineData("host", "field 'host': not valid UTF-8")]
    [InlineData("src", "field 'src': 'ab\uFFFD' is not an IPv4 or IPv6 address")]
    public void Invalid_utf8_rejects_only_its_line(string key, string error)
    {
        var bad = Encoding.UTF8.GetBytes(With($"\"{key}\":\"ab\u0001\"")).Select(b => b == 1 ? (byte)0xFF : b);
        var body = bad.Concat("\n"u8.ToArray()).Concat(Encoding.UTF8.GetBytes(With("\"dport\":1"))).ToArray();

        var parsed = new FlowParser().Parse(body);

        Assert.Equal(1, parsed.Accepted);
        Assert.Equal(1, parsed.Rejected);
        Assert.Equal(new LineError(1, error), Assert.Single(parsed.Errors));
    }
}
