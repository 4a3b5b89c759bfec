using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using EdgeKit.Auth;
using EdgeKit.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeKit.Client;

/// <summary>
/// A module's connection to edgeHub over MQTT 3.1.1, mirroring the Azure IoT device SDK's <c>ModuleClient</c>:
/// telemetry on outputs, input messages, twin and direct methods. The client reconnects by itself with capped,
/// jittered exponential backoff, renews its SAS token before expiry, keeps messages sent while disconnected in a
/// bounded queue and publishes them in order once connected, with many QoS 1 publishes in flight at once.
/// </summary>
public sealed class ModuleClient : IAsyncDisposable
{
    /// <summary>The api-version the SDK sends in the MQTT username.</summary>
    public const string ApiVersion = MqttUsername.DefaultApiVersion;

    private const int SubscribeInputs = 1;
    private const int SubscribeMethods = 2;
    private const int SubscribeTwin = 4;

    private readonly ModuleConnectionSettings _settings;
    private readonly ModuleClientOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly IMqttClient _mqtt;
    private readonly Channel<OutgoingMessage> _queue;
    private readonly SemaphoreSlim _inflight;
    private readonly SortedDictionary<long, OutgoingMessage> _retry = [];
    private readonly Channel<InboundMessage> _inbound = Channel.CreateUnbounded<InboundMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, Func<Message, CancellationToken, Task<MessageResponse>>> _inputHandlers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Func<MethodRequest, CancellationToken, Task<MethodResponse>>> _methodHandlers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<TwinResponse>> _pendingTwin = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _subscribeLock = new(1, 1);
    private readonly CancellationTokenSource _cts = new();
    private readonly Lock _stateLock = new();
    private readonly string _clientId;
    private readonly string _username;

    private Func<Message, CancellationToken, Task<MessageResponse>>? _defaultInputHandler;
    private Func<MethodRequest, CancellationToken, Task<MethodResponse>>? _defaultMethodHandler;
    private Func<JsonObject, CancellationToken, Task>? _desiredCallback;
    private TaskCompletionSource _connectedSignal = NewSignal();
    private TaskCompletionSource _disconnectedSignal = NewSignal();
    private TaskCompletionSource _wake = NewSignal();
    private X509Certificate2Collection? _trustBundle;
    private volatile bool _connected;
    private volatile int _wantedSubscriptions;
    private int _activeSubscriptions;
    private int _epoch;
    private long _sequence;
    private long _requestId;
    private int _opened;
    private int _closed;
    private Task _loops = Task.CompletedTask;
    private Task _desiredTail = Task.CompletedTask;
    private DateTimeOffset _tokenExpiresAt;
    private long _lastPublishProgress;

    /// <summary>Creates a client; call <see cref="OpenAsync"/> to connect.</summary>
    public ModuleClient(ModuleConnectionSettings settings, ModuleClientOptions? options = null, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        _options = options ?? new ModuleClientOptions();
        ValidateOptionsResultThrow(new ModuleClientOptionsValidator().Validate(null, _options));
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<ModuleClient>();
        _time = timeProvider ?? TimeProvider.System;
        _mqtt = new MqttClientFactory().CreateMqttClient();
        _mqtt.ApplicationMessageReceivedAsync += OnMessageReceivedAsync;
        _mqtt.DisconnectedAsync += OnDisconnectedAsync;
        _queue = Channel.CreateBounded<OutgoingMessage>(new BoundedChannelOptions(_options.MaxPendingMessages)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        _inflight = new SemaphoreSlim(_options.MaxInFlightPublishes, _options.MaxInFlightPublishes);
        _clientId = $"{settings.DeviceId}/{settings.ModuleId}";
        _username = BuildUsername(settings.IotHubHostName, settings.DeviceId, settings.ModuleId, _options.ProductInfo);
        ClientMetrics.Register(this);
    }

    /// <summary>Device id.</summary>
    public string DeviceId => _settings.DeviceId;

    /// <summary>Module id.</summary>
    public string ModuleId => _settings.ModuleId;

    /// <summary>True while an MQTT connection is up.</summary>
    public bool IsConnected => _connected;

    /// <summary>Messages waiting to be published (queued, or taken back after a lost connection).</summary>
    public int QueueLength
    {
        get
        {
            int retry;
            lock (_retry)
            {
                retry = _retry.Count;
            }

            return _queue.Reader.Count + retry;
        }
    }

    /// <summary>
    /// Creates a client from <c>EdgeHubConnectionString</c> when set, otherwise from the IoT Edge variables
    /// (workload API signing). <c>EdgeKit__Port</c> and <c>EdgeKit__UseTls</c> override the port and TLS
    /// (a port of 1883 without <c>EdgeKit__UseTls</c> means plain MQTT, for the local hub).
    /// </summary>
    public static ModuleClient CreateFromEnvironment(ModuleClientOptions? options = null, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
        => CreateFromEnvironment(Environment.GetEnvironmentVariable, options, loggerFactory, timeProvider);

    /// <summary>As <see cref="CreateFromEnvironment(ModuleClientOptions?, ILoggerFactory?, TimeProvider?)"/> with a variable source (for tests).</summary>
    public static ModuleClient CreateFromEnvironment(Func<string, string?> getVariable, ModuleClientOptions? options, ILoggerFactory? loggerFactory, TimeProvider? timeProvider)
    {
        ArgumentNullException.ThrowIfNull(getVariable);
        options ??= new ModuleClientOptions();
        ApplyEnvironmentOverrides(getVariable, options);
        string? connectionString = getVariable("EdgeHubConnectionString");
        ModuleConnectionSettings settings = string.IsNullOrEmpty(connectionString)
            ? ModuleConnectionSettings.FromEdgeEnvironment(getVariable)
            : ModuleConnectionSettings.FromConnectionString(connectionString);
        return new ModuleClient(settings, options, loggerFactory, timeProvider);
    }

    /// <summary>Creates a client from <c>HostName=..;DeviceId=..;ModuleId=..;SharedAccessKey=..[;GatewayHostName=..]</c>.</summary>
    public static ModuleClient CreateFromConnectionString(string connectionString, ModuleClientOptions? options = null, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
        => new(ModuleConnectionSettings.FromConnectionString(connectionString), options, loggerFactory, timeProvider);

    /// <summary>The MQTT username: <c>{hub}/{device}/{module}/?api-version=2020-09-30&amp;DeviceClientType={urlenc(product)}</c>.</summary>
    public static string BuildUsername(string iotHubHostName, string deviceId, string moduleId, string productInfo)
        => MqttUsername.Build(iotHubHostName, deviceId, moduleId, productInfo);

    internal static void ApplyEnvironmentOverrides(Func<string, string?> getVariable, ModuleClientOptions options)
    {
        string? port = getVariable("EdgeKit__Port");
        string? useTls = getVariable("EdgeKit__UseTls");
        if (!string.IsNullOrEmpty(port))
        {
            if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int p))
            {
                throw new EdgeKitConfigurationException($"EdgeKit__Port '{port}' is not a number.");
            }

            options.Port = p;
            if (string.IsNullOrEmpty(useTls) && p == 1883)
            {
                options.UseTls = false;
            }
        }

        if (!string.IsNullOrEmpty(useTls))
        {
            options.UseTls = bool.TryParse(useTls, out bool tls) ? tls : throw new EdgeKitConfigurationException($"EdgeKit__UseTls '{useTls}' is not true/false.");
        }
    }

    /// <summary>
    /// Starts the connection and waits for the first connection. If <paramref name="cancellationToken"/> cannot be
    /// cancelled the operation timeout applies. When the wait ends early the client keeps trying in the background.
    /// </summary>
    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _closed) != 0, this);
        if (Interlocked.Exchange(ref _opened, 1) == 0)
        {
            CancellationToken ct = _cts.Token;
            _loops = Task.WhenAll(
                Task.Run(() => RunLoopAsync("connection", ConnectionLoopAsync, ct), ct),
                Task.Run(() => RunLoopAsync("send", SendLoopAsync, ct), ct),
                Task.Run(() => RunLoopAsync("input", InputLoopAsync, ct), ct));
        }

        await WaitConnectedAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Queues <paramref name="message"/> for output <paramref name="outputName"/> and completes when the hub has
    /// acknowledged it (PUBACK). While disconnected the message waits in the bounded queue. When the queue is full the
    /// call waits (<see cref="QueueFullMode.Wait"/>) or throws <see cref="MessageQueueFullException"/>.
    /// Cancelling after the message was queued abandons the wait, not the message.
    /// </summary>
    public async Task SendEventAsync(string outputName, Message message, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputName);
        ArgumentNullException.ThrowIfNull(message);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _closed) != 0, this);
        if (message.Body.Length > _options.MaxMessageSize)
        {
            throw new ArgumentException($"Message body ({message.Body.Length} bytes) exceeds the {_options.MaxMessageSize} byte limit.", nameof(message));
        }

        message.OutputName = outputName;
        string bag = PropertyBagCodec.Encode(message.GetSystemProperties(), message.Properties);
        var item = new OutgoingMessage(Topics.Event(DeviceId, ModuleId, bag), message.Body, outputName);
        if (!_queue.Writer.TryWrite(item))
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _closed) != 0, this);
            ClientMetrics.SendQueueFull.Add(1);
            ClientLog.QueueFull(_logger, _options.MaxPendingMessages);
            if (_options.QueueFullMode == QueueFullMode.Fail)
            {
                throw new MessageQueueFullException($"The send queue is full ({_options.MaxPendingMessages} messages).");
            }

            try
            {
                await _queue.Writer.WriteAsync(item, cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                throw new ObjectDisposedException(nameof(ModuleClient));
            }
        }

        await item.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sets the handler of input <paramref name="inputName"/> (null removes it) and subscribes to inputs.</summary>
    public Task SetInputMessageHandlerAsync(string inputName, Func<Message, CancellationToken, Task<MessageResponse>>? handler, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(inputName);
        if (handler is null)
        {
            _inputHandlers.TryRemove(inputName, out _);
            return Task.CompletedTask;
        }

        _inputHandlers[inputName] = handler;
        return EnsureSubscribedAsync(SubscribeInputs, cancellationToken);
    }

    /// <summary>Sets the handler for inputs without their own handler and subscribes to inputs.</summary>
    public Task SetDefaultInputMessageHandlerAsync(Func<Message, CancellationToken, Task<MessageResponse>>? handler, CancellationToken cancellationToken)
    {
        _defaultInputHandler = handler;
        return handler is null ? Task.CompletedTask : EnsureSubscribedAsync(SubscribeInputs, cancellationToken);
    }

    /// <summary>Sets the handler of direct method <paramref name="methodName"/> (null removes it).</summary>
    public Task SetMethodHandlerAsync(string methodName, Func<MethodRequest, CancellationToken, Task<MethodResponse>>? handler, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(methodName);
        if (handler is null)
        {
            _methodHandlers.TryRemove(methodName, out _);
            return Task.CompletedTask;
        }

        _methodHandlers[methodName] = handler;
        return EnsureSubscribedAsync(SubscribeMethods, cancellationToken);
    }

    /// <summary>Sets the handler for methods without their own handler (without one, such calls get 501).</summary>
    public Task SetDefaultMethodHandlerAsync(Func<MethodRequest, CancellationToken, Task<MethodResponse>>? handler, CancellationToken cancellationToken)
    {
        _defaultMethodHandler = handler;
        return handler is null ? Task.CompletedTask : EnsureSubscribedAsync(SubscribeMethods, cancellationToken);
    }

    /// <summary>Sets the callback for desired-property patches (the patch includes <c>$version</c>).</summary>
    public Task SetDesiredPropertyUpdateCallbackAsync(Func<JsonObject, CancellationToken, Task>? callback, CancellationToken cancellationToken)
    {
        _desiredCallback = callback;
        return callback is null ? Task.CompletedTask : EnsureSubscribedAsync(SubscribeTwin, cancellationToken);
    }

    /// <summary>Gets the module twin (desired and reported properties with their <c>$version</c>).</summary>
    /// <exception cref="HubRequestException">The hub answered with a non-2xx status.</exception>
    /// <exception cref="TimeoutException">No answer within the operation timeout.</exception>
    public async Task<ModuleTwin> GetTwinAsync(CancellationToken cancellationToken)
    {
        TwinResponse response = await TwinRequestAsync(Topics.TwinGet, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        EnsureSuccess(response, "GET twin");
        try
        {
            JsonObject root = JsonNode.Parse(response.Body.Span) as JsonObject ?? [];
            return new ModuleTwin(
                root["desired"] is JsonObject desired ? (JsonObject)desired.DeepClone() : [],
                root["reported"] is JsonObject reported ? (JsonObject)reported.DeepClone() : []);
        }
        catch (JsonException ex)
        {
            throw new EdgeKitException("The twin document is not valid JSON.", ex);
        }
    }

    /// <summary>Patches the reported properties; returns the new reported <c>$version</c> when the hub sends one.</summary>
    /// <exception cref="HubRequestException">The hub answered with a non-2xx status (204 is expected).</exception>
    public async Task<long?> UpdateReportedPropertiesAsync(JsonObject patch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(patch);
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(patch, EdgeKitJsonContext.Default.JsonObject);
        TwinResponse response = await TwinRequestAsync(Topics.TwinReportedPatch, body, cancellationToken).ConfigureAwait(false);
        EnsureSuccess(response, "PATCH reported properties");
        return response.Version;
    }

    /// <summary>Disconnects and stops the background loops. Messages not yet acknowledged fail with <see cref="ObjectDisposedException"/>. Safe to call twice.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        _inbound.Writer.TryComplete();
        await _cts.CancelAsync().ConfigureAwait(false);
        try
        {
            if (_mqtt.IsConnected)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(_options.OperationTimeout);
                await _mqtt.DisconnectAsync(new MqttClientDisconnectOptions(), timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is MqttCommunicationException or OperationCanceledException or InvalidOperationException)
        {
            // Best effort: the connection is going away anyway.
        }

        try
        {
            await _loops.WaitAsync(_options.OperationTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
        {
            // Loops honour the token; a timeout here means a handler ignored it.
        }

        FailPending(new ObjectDisposedException(nameof(ModuleClient), "The client was closed before the message was acknowledged."));
        ClientMetrics.Unregister(this);
        _connected = false;
        ClientLog.Closed(_logger);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await CloseAsync(CancellationToken.None).ConfigureAwait(false);
        _mqtt.Dispose();
        _cts.Dispose();
    }

    // ---- connection ----

    private async Task ConnectionLoopAsync(CancellationToken ct)
    {
        int attempt = 0;
        bool wasConnected = false;
        while (!ct.IsCancellationRequested)
        {
            if (!_mqtt.IsConnected)
            {
                try
                {
                    await ConnectOnceAsync(attempt, ct).ConfigureAwait(false);
                    if (wasConnected)
                    {
                        ClientMetrics.Reconnects.Add(1);
                    }

                    wasConnected = true;
                    attempt = 0;
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    TimeSpan delay = Backoff(attempt++);
                    ClientLog.ConnectFailed(_logger, ex, _settings.ConnectHost, _options.EffectivePort, attempt, (long)delay.TotalMilliseconds);
                    SetDisconnected();
                    await Task.Delay(delay, _time, ct).ConfigureAwait(false);
                    continue;
                }
            }

            // Connected: wait for a disconnect, or for the time to renew the token.
            TimeSpan lifetime = _options.TokenLifetime * _options.TokenRenewalFraction;
            TimeSpan untilRenewal = _tokenExpiresAt - _options.TokenLifetime + lifetime - _time.GetUtcNow();
            Task disconnected = _disconnectedSignal.Task;
            TimeSpan watchdog = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(1).Ticks, _options.OperationTimeout.Ticks / 2));
            bool renew = untilRenewal <= watchdog;
            Task wait = Task.Delay(renew ? (untilRenewal > TimeSpan.Zero ? untilRenewal : TimeSpan.Zero) : watchdog, _time, ct);
            Task first = await Task.WhenAny(disconnected, wait).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            if (first == wait && !renew)
            {
                if (!_mqtt.IsConnected)
                {
                    // A disconnect whose event we missed (it raced with the connect).
                    SetDisconnected();
                    continue;
                }

                // PUBACK watchdog (instead of a timer per publish): publishes in flight but none acknowledged
                // within the operation timeout means the connection is stuck; reconnecting re-sends them.
                bool inFlight = _inflight.CurrentCount < _options.MaxInFlightPublishes;
                if (inFlight && _time.GetTimestamp() - Volatile.Read(ref _lastPublishProgress) > _options.OperationTimeout.TotalSeconds * _time.TimestampFrequency)
                {
                    ClientLog.Disconnected(_logger, _settings.ConnectHost, _options.EffectivePort, "no PUBACK within the operation timeout");
                    SetDisconnected();
                    await DisconnectQuietlyAsync().ConfigureAwait(false);
                }

                continue;
            }

            if (first == wait && _mqtt.IsConnected)
            {
                ClientLog.TokenRenewing(_logger, _tokenExpiresAt);
                await RenewConnectionAsync(ct).ConfigureAwait(false);
            }
            else if (_mqtt.IsConnected)
            {
                // A late disconnect event of the previous connection (for example after a token renewal):
                // this connection is fine.
                lock (_stateLock)
                {
                    _disconnectedSignal = NewSignal();
                    if (!_connected)
                    {
                        _connected = true;
                        _connectedSignal.TrySetResult();
                    }
                }
            }
            else
            {
                SetDisconnected();
                ClientLog.Disconnected(_logger, _settings.ConnectHost, _options.EffectivePort, "connection lost");
            }
        }
    }

    /// <summary>Reconnects with a fresh token without losing in-flight publishes: pause the pipeline, wait for every PUBACK, then reconnect.</summary>
    private async Task RenewConnectionAsync(CancellationToken ct)
    {
        int acquired = 0;
        try
        {
            using var drain = CancellationTokenSource.CreateLinkedTokenSource(ct);
            drain.CancelAfter(_options.OperationTimeout);
            for (; acquired < _options.MaxInFlightPublishes; acquired++)
            {
                await _inflight.WaitAsync(drain.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // Acks did not arrive in time: reconnecting re-sends what is still un-acknowledged.
        }

        try
        {
            SetDisconnected();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(_options.OperationTimeout);
            await _mqtt.DisconnectAsync(new MqttClientDisconnectOptions(), timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is MqttCommunicationException or OperationCanceledException or InvalidOperationException)
        {
            // The connection is being replaced anyway.
        }
        finally
        {
            if (acquired > 0)
            {
                _inflight.Release(acquired);
            }
        }
    }

    private async Task ConnectOnceAsync(int attempt, CancellationToken ct)
    {
        string host = _settings.ConnectHost;
        int port = _options.EffectivePort;
        ClientLog.Connecting(_logger, host, port, _clientId, _options.UseTls, attempt + 1);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.OperationTimeout);

        DateTimeOffset expiresAt = _time.GetUtcNow() + _options.TokenLifetime;
        string password = await SharedAccessSignature.CreateAsync(_settings.TokenResource, _settings.Signer, expiresAt, timeout.Token).ConfigureAwait(false);
        if (_options.UseTls && _trustBundle is null && _settings.TrustBundle is not null)
        {
            _trustBundle = await _settings.TrustBundle(timeout.Token).ConfigureAwait(false);
        }

        MqttClientOptionsBuilder builder = new MqttClientOptionsBuilder()
            .WithTcpServer(host, port)
            .WithProtocolVersion(MqttProtocolVersion.V311)
            .WithClientId(_clientId)
            .WithCredentials(_username, password)
            .WithCleanSession(false)
            .WithKeepAlivePeriod(_options.KeepAlive)
            .WithTimeout(_options.OperationTimeout)
            // One socket write per packet instead of header and payload apart: measured ~20 % less CPU per message.
            .WithoutPacketFragmentation();
        if (_options.UseTls)
        {
            builder = builder.WithTlsOptions(tls => tls
                .UseTls()
                .WithTargetHost(host)
                .WithCertificateValidationHandler(args => ValidateServerCertificate(args.Certificate, args.SslPolicyErrors)));
        }

        lock (_stateLock)
        {
            _disconnectedSignal = NewSignal();
        }

        MqttClientConnectResult result = await _mqtt.ConnectAsync(builder.Build(), timeout.Token).ConfigureAwait(false);
        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            throw new HubRequestException($"The hub refused the connection: {result.ResultCode} {result.ReasonString}", (int)result.ResultCode);
        }

        _tokenExpiresAt = expiresAt;
        Volatile.Write(ref _activeSubscriptions, 0);
        await SubscribeWantedAsync(timeout.Token).ConfigureAwait(false);
        ClientLog.Connected(_logger, host, port, _clientId, expiresAt);
        lock (_stateLock)
        {
            _epoch++;
            _connected = true;
            _connectedSignal.TrySetResult();
        }

        Wake();
    }

    private bool ValidateServerCertificate(X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None || _options.SkipCertificateValidation)
        {
            return true;
        }

        if (certificate is null || _trustBundle is null || _trustBundle.Count == 0 || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0)
        {
            ClientLog.CertificateRejected(_logger, errors.ToString());
            return false;
        }

        // edgeHub's certificate is issued by the device CA in the workload trust bundle, not by a public root.
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_trustBundle);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        bool ok = chain.Build(leaf);
        if (!ok)
        {
            ClientLog.CertificateRejected(_logger, string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
        }

        return ok;
    }

    private Task OnDisconnectedAsync(MqttClientDisconnectedEventArgs args)
    {
        // The event can arrive after a new connection is up; only a client that is really down counts.
        if (!_mqtt.IsConnected)
        {
            SetDisconnected();
        }

        return Task.CompletedTask;
    }

    private void SetDisconnected()
    {
        lock (_stateLock)
        {
            if (_connected)
            {
                _connected = false;
                _connectedSignal = NewSignal();
            }

            _disconnectedSignal.TrySetResult();
        }
    }

    private async Task WaitConnectedAsync(CancellationToken cancellationToken)
    {
        Task signal;
        lock (_stateLock)
        {
            signal = _connectedSignal.Task;
        }

        if (signal.IsCompleted)
        {
            return;
        }

        if (cancellationToken.CanBeCanceled)
        {
            await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await signal.WaitAsync(_options.OperationTimeout, _time).ConfigureAwait(false);
        }
    }

    private TimeSpan Backoff(int attempt)
    {
        double baseMs = _options.ReconnectMinDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30));
        double capped = Math.Min(baseMs, _options.ReconnectMaxDelay.TotalMilliseconds);
        double jitter = 1 + ((Random.Shared.NextDouble() * 0.4) - 0.2);
        return TimeSpan.FromMilliseconds(capped * jitter);
    }

    // ---- subscriptions ----

    private async Task EnsureSubscribedAsync(int flag, CancellationToken cancellationToken)
    {
        // Remember the wish first: a later (re)connect subscribes everything wanted.
        int wanted;
        do
        {
            wanted = _wantedSubscriptions;
        }
        while (Interlocked.CompareExchange(ref _wantedSubscriptions, wanted | flag, wanted) != wanted);

        if (!_connected || (Volatile.Read(ref _activeSubscriptions) & flag) != 0)
        {
            return;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _cts.Token);
        timeout.CancelAfter(_options.OperationTimeout);
        await SubscribeWantedAsync(timeout.Token).ConfigureAwait(false);
    }

    private async Task SubscribeWantedAsync(CancellationToken ct)
    {
        await _subscribeLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            int missing = _wantedSubscriptions & ~Volatile.Read(ref _activeSubscriptions);
            if (missing == 0)
            {
                return;
            }

            var filters = new List<string>();
            if ((missing & SubscribeInputs) != 0) filters.Add(Topics.ModuleFilter(DeviceId, ModuleId));
            if ((missing & SubscribeMethods) != 0) filters.Add(Topics.MethodRequestFilter);
            if ((missing & SubscribeTwin) != 0)
            {
                filters.Add(Topics.TwinResponseFilter);
                filters.Add(Topics.TwinDesiredPatchFilter);
            }

            MqttClientSubscribeOptionsBuilder builder = new MqttClientSubscribeOptionsBuilder();
            foreach (string filter in filters)
            {
                builder = builder.WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce);
            }

            MqttClientSubscribeResult result = await _mqtt.SubscribeAsync(builder.Build(), ct).ConfigureAwait(false);
            foreach (MqttClientSubscribeResultItem item in result.Items)
            {
                if (item.ResultCode > MqttClientSubscribeResultCode.GrantedQoS2)
                {
                    throw new HubRequestException($"Subscription to {item.TopicFilter.Topic} refused: {item.ResultCode}", (int)item.ResultCode);
                }

                ClientLog.Subscribed(_logger, item.TopicFilter.Topic);
            }

            Volatile.Write(ref _activeSubscriptions, _activeSubscriptions | missing);
        }
        finally
        {
            _subscribeLock.Release();
        }
    }

    // ---- sending ----

    private async Task SendLoopAsync(CancellationToken ct)
    {
        int epoch = -1;
        while (!ct.IsCancellationRequested)
        {
            await WaitConnectedAsync(ct).ConfigureAwait(false);
            int current = Volatile.Read(ref _epoch);
            if (current != epoch)
            {
                // New connection: let every publish of the old one finish (ack or come back to _retry) so that
                // re-sends go out first and in their original order.
                await DrainInflightAsync(ct).ConfigureAwait(false);
                epoch = current;
            }

            if (!TryTakeNext(out OutgoingMessage? item))
            {
                Task wake;
                lock (_stateLock)
                {
                    wake = _wake.Task;
                }

                if (!TryTakeNext(out item))
                {
                    await Task.WhenAny(_queue.Reader.WaitToReadAsync(ct).AsTask(), wake).ConfigureAwait(false);
                    lock (_stateLock)
                    {
                        if (_wake.Task.IsCompleted)
                        {
                            _wake = NewSignal();
                        }
                    }

                    continue;
                }
            }

            await _inflight.WaitAsync(ct).ConfigureAwait(false);
            if (!_connected || Volatile.Read(ref _epoch) != epoch)
            {
                Requeue(item);
                _inflight.Release();
                continue;
            }

            if (_inflight.CurrentCount == _options.MaxInFlightPublishes - 1)
            {
                // First publish in flight: the watchdog measures from now.
                Volatile.Write(ref _lastPublishProgress, _time.GetTimestamp());
            }

            _ = PublishAsync(item, epoch, ct);
        }
    }

    private bool TryTakeNext([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out OutgoingMessage? item)
    {
        lock (_retry)
        {
            if (_retry.Count > 0)
            {
                KeyValuePair<long, OutgoingMessage> first = _retry.First();
                _retry.Remove(first.Key);
                item = first.Value;
                return true;
            }
        }

        if (_queue.Reader.TryRead(out item))
        {
            if (item.Sequence == 0)
            {
                item.Sequence = ++_sequence;
            }

            return true;
        }

        return false;
    }

    private void Requeue(OutgoingMessage item)
    {
        lock (_retry)
        {
            _retry[item.Sequence] = item;
        }
    }

    private async Task DrainInflightAsync(CancellationToken ct)
    {
        int max = _options.MaxInFlightPublishes;
        for (int i = 0; i < max; i++)
        {
            await _inflight.WaitAsync(ct).ConfigureAwait(false);
        }

        _inflight.Release(max);
    }

    private async Task PublishAsync(OutgoingMessage item, int epoch, CancellationToken ct)
    {
        try
        {
            var message = new MqttApplicationMessage
            {
                Topic = item.Topic,
                Payload = new ReadOnlySequence<byte>(item.Body),
                QualityOfServiceLevel = MqttQualityOfServiceLevel.AtLeastOnce,
            };
            // No per-publish timer: MQTTnet bounds the wait for PUBACK with the client timeout (OperationTimeout).
            MqttClientPublishResult result = await _mqtt.PublishAsync(message, ct).ConfigureAwait(false);
            Volatile.Write(ref _lastPublishProgress, _time.GetTimestamp());
            if (result.IsSuccess)
            {
                ClientMetrics.MessagesSent.Add(1, new KeyValuePair<string, object?>("output", item.Output));
                item.Completion.TrySetResult();
            }
            else
            {
                item.Completion.TrySetException(new HubRequestException($"The hub rejected the message: {result.ReasonCode} {result.ReasonString}", (int)result.ReasonCode));
            }
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            // Lost connection or missing PUBACK: keep the message (at-least-once) and force a fresh connection,
            // so that it is re-sent before anything newer.
            ClientLog.PublishRetry(_logger, ex, item.Topic);
            Requeue(item);
            if (Volatile.Read(ref _epoch) == epoch && _connected)
            {
                SetDisconnected();
                _ = DisconnectQuietlyAsync();
            }
        }
        catch (Exception ex)
        {
            item.Completion.TrySetException(new ObjectDisposedException(nameof(ModuleClient), ex));
        }
        finally
        {
            _inflight.Release();
        }
    }

    private async Task DisconnectQuietlyAsync()
    {
        try
        {
            await _mqtt.DisconnectAsync(new MqttClientDisconnectOptions(), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Runs detached and best effort: the connection is already going or gone.
        }
    }

    private void Wake()
    {
        lock (_stateLock)
        {
            _wake.TrySetResult();
        }
    }

    private void FailPending(Exception exception)
    {
        lock (_retry)
        {
            foreach (OutgoingMessage item in _retry.Values)
            {
                item.Completion.TrySetException(exception);
            }

            _retry.Clear();
        }

        while (_queue.Reader.TryRead(out OutgoingMessage? item))
        {
            item.Completion.TrySetException(exception);
        }

        foreach (TaskCompletionSource<TwinResponse> pending in _pendingTwin.Values)
        {
            pending.TrySetException(exception);
        }
    }

    // ---- receiving ----

    private Task OnMessageReceivedAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        string topic = e.ApplicationMessage.Topic;
        if (!Topics.TryParse(topic, out ParsedTopic parsed, out string? error))
        {
            ClientLog.InvalidTopic(_logger, topic, error ?? "unknown");
            return Task.CompletedTask;
        }

        switch (parsed.Kind)
        {
            case TopicKind.Input:
                var app = new Dictionary<string, string>(StringComparer.Ordinal);
                var system = new Dictionary<string, string>(StringComparer.Ordinal);
                if (!PropertyBagCodec.TryDecode(parsed.PropertyBag, app, system, out error))
                {
                    ClientLog.InvalidTopic(_logger, topic, error ?? "invalid properties");
                    return Task.CompletedTask;
                }

                var message = new Message(e.ApplicationMessage.Payload.ToArray()) { InputName = parsed.Name };
                foreach ((string key, string value) in app)
                {
                    message.Properties[key] = value;
                }

                message.ApplySystemProperties(system);
                // Acknowledge only after the handler ran, in arrival order (MQTT-4.6.0-2), from the input loop.
                e.AutoAcknowledge = false;
                if (!_inbound.Writer.TryWrite(new InboundMessage(message, e, Volatile.Read(ref _epoch))))
                {
                    e.AutoAcknowledge = true;
                }

                return Task.CompletedTask;

            case TopicKind.TwinResponse:
                if (_pendingTwin.TryRemove(parsed.RequestId!, out TaskCompletionSource<TwinResponse>? pending))
                {
                    pending.TrySetResult(new TwinResponse(parsed.Status!.Value, parsed.Version, e.ApplicationMessage.Payload.ToArray()));
                }

                return Task.CompletedTask;

            case TopicKind.TwinDesiredPatch:
                Func<JsonObject, CancellationToken, Task>? callback = _desiredCallback;
                if (callback is not null)
                {
                    byte[] patch = e.ApplicationMessage.Payload.ToArray();
                    CancellationToken ct = _cts.Token;
                    lock (_stateLock)
                    {
                        // Off the receive loop, but one after the other: patches must apply in $version order.
                        _desiredTail = _desiredTail.ContinueWith(_ => RunDesiredCallbackAsync(callback, patch, ct), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
                    }
                }

                return Task.CompletedTask;

            case TopicKind.MethodRequest:
                var request = new MethodRequest(parsed.Name!, e.ApplicationMessage.Payload.ToArray(), parsed.RequestId!);
                _ = Task.Run(() => RunMethodAsync(request, _cts.Token));
                return Task.CompletedTask;

            default:
                ClientLog.InvalidTopic(_logger, topic, $"unexpected {parsed.Kind} topic");
                return Task.CompletedTask;
        }
    }

    private async Task InputLoopAsync(CancellationToken ct)
    {
        while (await _inbound.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
        {
            while (_inbound.Reader.TryRead(out InboundMessage? inbound))
            {
                Message message = inbound.Message;
                string input = message.InputName ?? string.Empty;
                ClientMetrics.MessagesReceived.Add(1, new KeyValuePair<string, object?>("input", input));
                MessageResponse response = MessageResponse.Completed;
                Func<Message, CancellationToken, Task<MessageResponse>>? handler = _inputHandlers.GetValueOrDefault(input) ?? _defaultInputHandler;
                if (handler is null)
                {
                    ClientLog.NoInputHandler(_logger, input);
                }
                else
                {
                    try
                    {
                        response = await handler(message, ct).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (!ct.IsCancellationRequested)
                    {
                        ClientMetrics.HandlerErrors.Add(1, new KeyValuePair<string, object?>("input", input));
                        ClientLog.InputHandlerFailed(_logger, ex, input);
                    }
                }

                if (response != MessageResponse.Abandoned && inbound.Epoch == Volatile.Read(ref _epoch) && _connected)
                {
                    // A PUBACK belongs to the connection the PUBLISH came on; after a reconnect the hub redelivers instead.
                    try
                    {
                        await inbound.Args.AcknowledgeAsync(ct).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (!ct.IsCancellationRequested)
                    {
                        ClientLog.AckFailed(_logger, ex);
                    }
                }
            }
        }
    }

    private async Task RunDesiredCallbackAsync(Func<JsonObject, CancellationToken, Task> callback, byte[] payload, CancellationToken ct)
    {
        try
        {
            JsonObject patch = JsonNode.Parse(payload) as JsonObject ?? throw new JsonException("The desired patch is not a JSON object.");
            await callback(patch, ct).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Runs detached: never let an exception go unobserved.
            if (!ct.IsCancellationRequested)
            {
                ClientMetrics.HandlerErrors.Add(1);
                ClientLog.DesiredCallbackFailed(_logger, ex);
            }
        }
    }

    private async Task RunMethodAsync(MethodRequest request, CancellationToken ct)
    {
        MethodResponse response;
        Func<MethodRequest, CancellationToken, Task<MethodResponse>>? handler = _methodHandlers.GetValueOrDefault(request.Name) ?? _defaultMethodHandler;
        if (handler is null)
        {
            response = new MethodResponse(501, "{\"message\":\"method not implemented\"}"u8.ToArray());
        }
        else
        {
            try
            {
                response = await handler(request, ct).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                if (ct.IsCancellationRequested)
                {
                    return;
                }

                ClientMetrics.HandlerErrors.Add(1);
                ClientLog.MethodHandlerFailed(_logger, ex, request.Name);
                response = new MethodResponse(500, "{\"message\":\"method failed\"}"u8.ToArray());
            }
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(_options.OperationTimeout);
            await _mqtt.PublishAsync(new MqttApplicationMessage
            {
                Topic = Topics.MethodResponse(response.Status, request.RequestId),
                Payload = new ReadOnlySequence<byte>(response.Result),
                QualityOfServiceLevel = MqttQualityOfServiceLevel.AtLeastOnce,
            }, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            if (!ct.IsCancellationRequested)
            {
                ClientLog.MethodHandlerFailed(_logger, ex, request.Name);
            }
        }
    }

    // ---- twin ----

    private async Task<TwinResponse> TwinRequestAsync(Func<string, string> topicFor, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _closed) != 0, this);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _cts.Token);
        timeout.CancelAfter(_options.OperationTimeout);
        try
        {
            await WaitConnectedAsync(timeout.Token).ConfigureAwait(false);
            await EnsureSubscribedAsync(SubscribeTwin, timeout.Token).ConfigureAwait(false);
            string rid = Interlocked.Increment(ref _requestId).ToString(CultureInfo.InvariantCulture);
            var completion = new TaskCompletionSource<TwinResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
            _pendingTwin[rid] = completion;
            try
            {
                await _mqtt.PublishAsync(new MqttApplicationMessage
                {
                    Topic = topicFor(rid),
                    Payload = new ReadOnlySequence<byte>(body),
                    QualityOfServiceLevel = MqttQualityOfServiceLevel.AtLeastOnce,
                }, timeout.Token).ConfigureAwait(false);
                return await completion.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
            }
            finally
            {
                _pendingTwin.TryRemove(rid, out _);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && !_cts.IsCancellationRequested)
        {
            throw new TimeoutException($"The twin request got no response within {_options.OperationTimeout}.");
        }
    }

    private static void EnsureSuccess(TwinResponse response, string operation)
    {
        if (response.Status is < 200 or > 299)
        {
            throw new HubRequestException($"{operation} failed with status {response.Status}.", response.Status);
        }
    }

    // ---- helpers ----

    private async Task RunLoopAsync(string name, Func<CancellationToken, Task> loop, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await loop(ct).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (ChannelClosedException)
            {
                return;
            }
            catch (Exception ex)
            {
                // Background loops never die silently: log, count, back off, restart.
                ClientMetrics.HandlerErrors.Add(1);
                ClientLog.LoopFailed(_logger, ex, name);
                try
                {
                    await Task.Delay(_options.ReconnectMinDelay, _time, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static void ValidateOptionsResultThrow(Microsoft.Extensions.Options.ValidateOptionsResult result)
    {
        if (result.Failed)
        {
            throw new EdgeKitConfigurationException(result.FailureMessage);
        }
    }

    private sealed class OutgoingMessage(string topic, ReadOnlyMemory<byte> body, string output)
    {
        public string Output { get; } = output;

        public string Topic { get; } = topic;
        public ReadOnlyMemory<byte> Body { get; } = body;
        public long Sequence { get; set; }
        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed record InboundMessage(Message Message, MqttApplicationMessageReceivedEventArgs Args, int Epoch);

    private readonly record struct TwinResponse(int Status, long? Version, ReadOnlyMemory<byte> Body);
}

/// <summary>A module twin: desired and reported properties, each with its <c>$version</c>.</summary>
public sealed record ModuleTwin(JsonObject Desired, JsonObject Reported)
{
    /// <summary>The desired properties' <c>$version</c>, when present.</summary>
    public long? DesiredVersion => Desired["$version"]?.GetValue<long>();

    /// <summary>The reported properties' <c>$version</c>, when present.</summary>
    public long? ReportedVersion => Reported["$version"]?.GetValue<long>();
}

[System.Text.Json.Serialization.JsonSerializable(typeof(JsonObject))]
internal sealed partial class EdgeKitJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
