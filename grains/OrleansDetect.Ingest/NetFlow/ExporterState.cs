namespace OrleansDetect.Ingest.NetFlow;

/// <summary>A template's key within its exporter's <see cref="ExporterState"/>: protocol version, source id / observation domain, template id.</summary>
internal readonly record struct TemplateKey(byte Version, uint Domain, ushort Id);

internal readonly record struct DomainKey(byte Version, uint Domain);

/// <summary>A data set that came before its template, with what its times are relative to.</summary>
internal readonly record struct HeldSet(TemplateKey Key, ExportHeader Header, byte[] Data, long ReceivedMs);

/// <summary>Per source id / observation domain: its sequence and what its options records said.</summary>
internal sealed class ObservationDomain
{
    public SequenceTrack Sequence;
    public uint SamplingInterval;
    public long SystemInitMs;
}

internal struct SequenceTrack
{
    private bool _known;
    private uint _next;

    /// <summary>
    /// How many units went missing before <paramref name="sequence"/>. A number a little behind the expected one is
    /// a reordered datagram; a jump far away either way is an exporter restart: neither counts as loss.
    /// </summary>
    public long Observe(uint sequence, uint increment)
    {
        if (_known)
        {
            var gap = sequence - _next;
            if (gap >= 0xFFFF_0000)
            {
                // A little behind: a late datagram, already counted as lost; keep expecting what we expected.
                return 0;
            }

            _next = sequence + increment;
            return gap < 0x4000_0000 ? gap : 0;
        }

        _known = true;
        _next = sequence + increment;
        return 0;
    }

    public void Forget() => _known = false;
}

/// <summary>One exporter address: its templates, observation domains, held data and figures.</summary>
internal sealed class ExporterState(NetAddress address)
{
    private const int MaxDomains = 256;

    public ExporterStatistics Stats { get; } = new(address);

    public Dictionary<TemplateKey, FlowTemplate> Templates { get; } = [];

    public Dictionary<DomainKey, ObservationDomain> Domains { get; } = [];

    public List<HeldSet> Held { get; } = [];

    public int HeldBytes { get; set; }

    public DatagramDrop? Domain(DomainKey key, out ObservationDomain domain)
    {
        if (Domains.TryGetValue(key, out domain!))
        {
            return null;
        }

        if (Domains.Count >= MaxDomains)
        {
            return DatagramDrop.TemplateLimit;
        }

        domain = new ObservationDomain();
        Domains.Add(key, domain);
        return null;
    }

    /// <summary>The live template under <paramref name="key"/>; an expired one is removed.</summary>
    public FlowTemplate? Template(TemplateKey key, long nowMs, long lifetimeMs)
    {
        if (!Templates.TryGetValue(key, out var template))
        {
            return null;
        }

        if (nowMs - template.RefreshedMs > lifetimeMs)
        {
            Templates.Remove(key);
            return null;
        }

        return template;
    }

    public bool Store(TemplateKey key, FlowTemplate template, int max, long nowMs, long lifetimeMs)
    {
        if (!Templates.ContainsKey(key) && Templates.Count >= max)
        {
            foreach (var (k, t) in Templates)
            {
                if (nowMs - t.RefreshedMs > lifetimeMs) Templates.Remove(k);
            }

            if (Templates.Count >= max) return false;
        }

        Templates[key] = template;
        return true;
    }

    public void Withdraw(TemplateKey key) => Templates.Remove(key);

    public void WithdrawAll(byte version, uint domain, bool options)
    {
        foreach (var (key, template) in Templates)
        {
            if (key.Version == version && key.Domain == domain && template.IsOptions == options)
            {
                Templates.Remove(key);
            }
        }
    }
}
