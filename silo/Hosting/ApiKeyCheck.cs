using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace OrleansDetect.Silo.Hosting;

/// <summary>
/// Checks a request's key — <c>Authorization: Bearer &lt;key&gt;</c>, Basic with the key as password (browsers), or a
/// <c>?token=</c> (feed readers, which cannot send headers) — against the configured keys and their roles, in
/// constant time. Keys are kept only as SHA-256 hashes.
/// </summary>
public sealed class ApiKeyCheck
{
    /// <summary>The query parameter a read key may travel in (for RSS readers).</summary>
    public const string TokenParameter = "token";

    private readonly (byte[] Hash, KeyRole Role)[] _keys;

    private readonly TimeProvider _time;

    public ApiKeyCheck(IOptions<IngestOptions> ingest, IOptions<AuthOptions> auth, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _keys = ingest.Value.ApiKeys
            .Where(k => !string.IsNullOrWhiteSpace(k))
            .Select(k => (Hash(k), KeyRole.Ingest))
            .Concat(auth.Value.Keys.Where(k => !string.IsNullOrWhiteSpace(k.Key)).Select(k => (Hash(k.Key), k.Role)))
            .ToArray();
    }

    /// <summary>False when no key is configured: everything is open.</summary>
    public bool Required => _keys.Length > 0;

    /// <param name="request">The request whose credentials are checked.</param>
    /// <param name="role">The least role that may do this.</param>
    /// <param name="allowBasic">Also accept <c>Basic</c> credentials whose password is a key (browsers).</param>
    /// <param name="allowToken">Also accept the key as <c>?token=</c> (feed readers).</param>
    public bool IsAuthorized(HttpRequest request, KeyRole role, bool allowBasic = false, bool allowToken = false)
    {
        if (!Required) return true;
        var header = request.Headers.Authorization.ToString();
        const string bearer = "Bearer ";
        const string basic = "Basic ";
        if (header.StartsWith(bearer, StringComparison.OrdinalIgnoreCase)) return Grants(header[bearer.Length..].Trim(), role);
        if (allowBasic && header.StartsWith(basic, StringComparison.OrdinalIgnoreCase)) return Grants(BasicPassword(header[basic.Length..].Trim()), role);
        if (allowToken && request.Query.TryGetValue(TokenParameter, out var token)) return Grants(token.ToString(), role);
        if (allowBasic && Session(request) is { } session)
        {
            // A change asked for with the cookie alone must come from the console's own script (CSRF).
            var safe = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method);
            return (safe || request.Headers.ContainsKey(ConsoleSession.CsrfHeader)) && (session.Role == KeyRole.Admin || session.Role == role);
        }

        return false;
    }

    /// <summary>The console session the request's cookie carries, if genuine and unexpired.</summary>
    public (KeyRole Role, string Name)? Session(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ConsoleSession.Read(request.Cookies[ConsoleSession.CookieName], _keys, _time.GetUtcNow());
    }

    /// <summary>A session cookie for <paramref name="key"/> when it is a read or admin key; null otherwise.</summary>
    public string? SignIn(string key, string name)
    {
        if (string.IsNullOrWhiteSpace(key)) return null;
        var presented = Hash(key);
        string? cookie = null;
        foreach (var (hash, role) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(presented, hash) && role is KeyRole.Read or KeyRole.Admin)
            {
                cookie ??= ConsoleSession.Issue(hash, role, name, _time.GetUtcNow());
            }
        }

        return cookie;
    }

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key.Trim()));

    private static string BasicPassword(string encoded)
    {
        try
        {
            var credentials = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
            var colon = credentials.IndexOf(':');
            return colon < 0 ? "" : credentials[(colon + 1)..].Trim();
        }
        catch (FormatException)
        {
            return "";
        }
    }

    private bool Grants(string candidate, KeyRole needed)
    {
        if (candidate.Length == 0) return false;

        // Hashing first gives equal-length inputs, and every key is compared, so the time says nothing about which
        // key (or how much of one) matched.
        var presented = Hash(candidate);
        var granted = false;
        foreach (var (hash, role) in _keys)
        {
            var match = CryptographicOperations.FixedTimeEquals(presented, hash);
            granted |= match && (role == KeyRole.Admin || role == needed);
        }

        return granted;
    }
}

/// <summary>Puts the read endpoints behind a read key (or admin) when keys are configured.</summary>
public static class KeyFilters
{
    /// <summary>401 with the challenges a reader of this endpoint can answer, unless the key's role suffices.</summary>
    /// <param name="builder">The endpoints.</param>
    /// <param name="role">The least role that may use them.</param>
    /// <param name="browser">Browsers may use them: Basic credentials and the console's session cookie count.</param>
    /// <param name="token">Feed readers may send the key as <c>?token=</c>.</param>
    /// <param name="page">A console page: without a key it answers 401 with the sign-in form (and no Basic challenge, which
    /// would make the browser show its own dialog instead).</param>
    public static TBuilder RequireKey<TBuilder>(this TBuilder builder, KeyRole role, bool browser = false, bool token = false, bool page = false)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            if (http.RequestServices.GetRequiredService<ApiKeyCheck>().IsAuthorized(http.Request, role, allowBasic: browser, allowToken: token))
            {
                return await next(context);
            }

            if (page)
            {
                http.Response.Headers.WWWAuthenticate = "Bearer";
                http.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return Api.ConsoleHtml.SignInPage(http, role);
            }

            http.Response.Headers.WWWAuthenticate = browser
                ? new Microsoft.Extensions.Primitives.StringValues(["Bearer", "Basic realm=\"OrleansDetect\", charset=\"UTF-8\""])
                : "Bearer";
            var how = token ? " (feed readers: ?token=<key>)" : browser ? " (browsers: Basic, any user name, the key as password)" : "";
            return Api.IngestApi.Problem(StatusCodes.Status401Unauthorized, "Unauthorized",
                $"This needs a {role.ToString().ToLowerInvariant()} or admin key: 'Authorization: Bearer <key>'{how}.");
        });
}
