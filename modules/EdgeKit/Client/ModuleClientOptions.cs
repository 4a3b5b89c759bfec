using Microsoft.Extensions.Options;

namespace EdgeKit.Client;

/// <summary>What <see cref="ModuleClient.SendEventAsync"/> does when the bounded send queue is full.</summary>
public enum QueueFullMode
{
    /// <summary>Wait for room (backpressure on the caller).</summary>
    Wait = 0,
    /// <summary>Throw <see cref="MessageQueueFullException"/>.</summary>
    Fail,
}

/// <summary>Options of <see cref="ModuleClient"/> (configuration section <c>EdgeKit</c>).</summary>
public sealed class ModuleClientOptions
{
    /// <summary>Configuration section the hosting extension binds.</summary>
    public const string SectionName = "EdgeKit";

    /// <summary>TLS to the hub (production edgeHub: always). False allows plain MQTT to a local hub.</summary>
    public bool UseTls { get; set; } = true;

    /// <summary>Port; null means 8883 with TLS and 1883 without.</summary>
    public int? Port { get; set; }

    /// <summary>Timeout for connect, publish acknowledgements, subscriptions and twin requests.</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Capacity of the send queue that holds messages while disconnected or while the pipeline is full.</summary>
    public int MaxPendingMessages { get; set; } = 10_000;

    /// <summary>What a send does when the queue is full.</summary>
    public QueueFullMode QueueFullMode { get; set; } = QueueFullMode.Wait;

    /// <summary>Publishes awaiting PUBACK at once.</summary>
    public int MaxInFlightPublishes { get; set; } = 100;

    /// <summary>SAS token lifetime.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Fraction of the token lifetime after which the client reconnects with a new token.</summary>
    public double TokenRenewalFraction { get; set; } = 0.8;

    /// <summary>MQTT keep-alive (the SDK's default is 300 s).</summary>
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>First reconnect delay; doubles per failed attempt up to <see cref="ReconnectMaxDelay"/>, with ±20 % jitter.</summary>
    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Largest reconnect delay.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Product info sent as <c>DeviceClientType</c> in the MQTT username.</summary>
    public string ProductInfo { get; set; } = DefaultProductInfo;

    /// <summary>Largest message body edgeHub accepts (256 KB).</summary>
    public int MaxMessageSize { get; set; } = 256 * 1024;

    /// <summary>Accept any server certificate (development only).</summary>
    public bool SkipCertificateValidation { get; set; }

    internal static readonly string DefaultProductInfo =
        $"EdgeKit/{typeof(ModuleClientOptions).Assembly.GetName().Version?.ToString(3) ?? "1.0.0"} (.NET {Environment.Version})";

    /// <summary>The port the client connects to.</summary>
    public int EffectivePort => Port ?? (UseTls ? 8883 : 1883);
}

/// <summary>Lists every problem of a <see cref="ModuleClientOptions"/> at once.</summary>
public sealed class ModuleClientOptionsValidator : IValidateOptions<ModuleClientOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ModuleClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.Port is < 1 or > 65535) failures.Add($"EdgeKit:Port must be 1..65535 (was {options.Port}).");
        if (options.OperationTimeout <= TimeSpan.Zero) failures.Add("EdgeKit:OperationTimeout must be positive.");
        if (options.MaxPendingMessages < 1) failures.Add("EdgeKit:MaxPendingMessages must be at least 1.");
        if (options.MaxInFlightPublishes is < 1 or > 65535) failures.Add("EdgeKit:MaxInFlightPublishes must be 1..65535.");
        if (options.TokenLifetime < TimeSpan.FromMinutes(1)) failures.Add("EdgeKit:TokenLifetime must be at least 1 minute.");
        if (options.TokenRenewalFraction is <= 0 or >= 1) failures.Add("EdgeKit:TokenRenewalFraction must be between 0 and 1.");
        if (options.KeepAlive < TimeSpan.Zero || options.KeepAlive > TimeSpan.FromSeconds(ushort.MaxValue)) failures.Add("EdgeKit:KeepAlive must be 0..65535 s.");
        if (options.ReconnectMinDelay <= TimeSpan.Zero || options.ReconnectMaxDelay < options.ReconnectMinDelay) failures.Add("EdgeKit:ReconnectMinDelay must be positive and not above ReconnectMaxDelay.");
        if (string.IsNullOrWhiteSpace(options.ProductInfo)) failures.Add("EdgeKit:ProductInfo must not be empty.");
        if (options.MaxMessageSize < 1) failures.Add("EdgeKit:MaxMessageSize must be positive.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
