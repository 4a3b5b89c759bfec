namespace EdgeKit.Auth;

/// <summary>Signs the SAS string-to-sign with the module's key, wherever that key lives.</summary>
public interface ISignatureProvider
{
    /// <summary>Returns base64 HMAC-SHA256 of the UTF-8 bytes of <paramref name="data"/>.</summary>
    Task<string> SignAsync(string data, CancellationToken cancellationToken);
}

/// <summary>Signs with a shared access key held in memory (from <c>EdgeHubConnectionString</c>).</summary>
public sealed class KeySignatureProvider : ISignatureProvider
{
    private readonly byte[] _key;

    /// <summary>Creates a provider over a base64 shared access key.</summary>
    /// <exception cref="FormatException">The key is not base64.</exception>
    public KeySignatureProvider(string base64Key)
    {
        ArgumentException.ThrowIfNullOrEmpty(base64Key);
        _key = Convert.FromBase64String(base64Key);
    }

    /// <inheritdoc />
    public Task<string> SignAsync(string data, CancellationToken cancellationToken)
        => Task.FromResult(SharedAccessSignature.Sign(_key, data));
}
