using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeHub.Delivery;
using EdgeHub.Diagnostics;
using EdgeHub.Hosting;
using EdgeHub.Identity;
using EdgeHub.Messaging;
using EdgeHub.Routing;
using EdgeHub.Storage;
using EdgeHub.Twin;
using EdgeHub.Upstream;
using EdgeKit.Auth;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;
using MQTTnet.Server;
using EdgeKit.Protocol;

namespace EdgeHub.Mqtt;

/// <summary>
/// The local edgeHub: an MQTTnet server that authenticates modules with SAS tokens, routes their messages with
/// edgeHub's route language into the store-and-forward log before PUBACK, delivers each endpoint in order,
/// serves twins and direct methods, and writes `$upstream` into the local event stream.
/// </summary>
public sealed class EdgeHubServer : IAsyncDisposable
{
    /// <summary>edgeHub's maximum message size (256 KB).</summary>
    public const int MaxMessageBytes = 256 * 1024;

    private readonly HubServerOptions _options;
    private readonly HubConfiguration _configuration;
    private readonly IMessageStore _store;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ConnectionRegistry _connections = new();
    private readonly Dictionary<string, DeviceRuntime> _devices = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ModuleInputDispatcher> _inputDispatchers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<MethodResult>> _pendingMethods = new(StringComparer.Ordinal);
    private readonly List<Task> _loops = [];
    private readonly CancellationTokenSource _stopping = new();
    private const string TokenExpiryKey = "edgehub.token-expiry";

    [ThreadStatic]
    private static List<Route>? t_matched;

    private MqttServer? _server;
    private long _methodRequestId;
    private int _disposed;
    private int _stopped;

    public EdgeHubServer(HubServerOptions options, HubConfiguration configuration, IMessageStore store, ILoggerFactory loggerFactory, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _options = options;
        _configuration = configuration;
        _store = store;
        _logger = loggerFactory.CreateLogger("EdgeHub");
        _time = timeProvider ?? TimeProvider.System;
        Metrics = new HubMetrics();
        Identities = new IdentityRegistry(configuration, options.StateDirectory);
        Twins = new TwinManager(configuration, options.StateDirectory);
        Upstream = new LocalEventStream(options.StateDirectory);
        Twins.DesiredChanged += OnDesiredChanged;
        foreach (var device in configuration.Devices)
        {
            var table = device.Routes.ValueKind == JsonValueKind.Object
                ? RouteTable.FromManifest(device.Routes, out var errors)
                : RouteTable.FromManifest(JsonDocument.Parse("{}").RootElement, out errors);
            foreach (var error in errors)
            {
                HubLog.RouteInvalid(_logger, error.RouteName, device.DeviceId, error.ToString());
            }

            _devices[device.DeviceId] = new DeviceRuntime(device, table);
        }

        Metrics.ObserveConditions(() => SumConditions(undefined: true), () => SumConditions(undefined: false));
        Metrics.ObserveRoutesAndEndpoints(ObserveRoutes, ObserveEndpoints);
    }

    public HubMetrics Metrics { get; }

    public IdentityRegistry Identities { get; }

    public TwinManager Twins { get; }

    public LocalEventStream Upstream { get; }

    public string IotHubHostName => _configuration.IotHubHostName;

    /// <summary>The bound MQTT port (useful when the options asked for port 0).</summary>
    public int MqttPort { get; private set; }

    /// <summary>The bound MQTT-over-TLS port, 0 when TLS is off.</summary>
    public int MqttTlsPort { get; private set; }

    /// <summary>The edge CA and server certificate when TLS is on.</summary>
    public HubCertificates? Certificates { get; private set; }

    public int ConnectedModules => _connections.Count;

    public IReadOnlyCollection<string> ConnectedClientIds => (IReadOnlyCollection<string>)_connections.ClientIds;

    public IEnumerable<IEndpointQueue> EndpointQueues
    {
        get
        {
            foreach (string id in _store.Endpoints)
            {
                yield return _store.GetQueue(id);
            }
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        int port = _options.MqttPort == 0 ? FreePort() : _options.MqttPort;
        var builder = new MqttServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointBoundIPAddress(IPAddress.Parse(_options.BindAddress))
            .WithDefaultEndpointPort(port)
            .WithPersistentSessions(false)
            .WithMaxPendingMessagesPerClient(ModuleInputDispatcher.Window * 64);
        int tlsPort = 0;
        if (_options.TlsPort >= 0)
        {
            // MQTT over TLS (8883 on a real gateway) with a server certificate signed by the edge CA of the trust bundle.
            tlsPort = _options.TlsPort == 0 ? FreePort() : _options.TlsPort;
            Certificates = HubCertificates.LoadOrCreate(_options.StateDirectory, _options.GatewayHostName);
            builder = builder.WithEncryptedEndpoint()
                .WithEncryptedEndpointBoundIPAddress(IPAddress.Parse(_options.BindAddress))
                .WithEncryptedEndpointPort(tlsPort)
                .WithEncryptionCertificate(Certificates.Server)
                .WithEncryptionSslProtocol(System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13);
        }

        var serverOptions = builder.Build();
        var server = new MqttServerFactory().CreateMqttServer(serverOptions);
        server.ValidatingConnectionAsync += ValidateConnectionAsync;
        server.ClientConnectedAsync += OnClientConnectedAsync;
        server.ClientDisconnectedAsync += OnClientDisconnectedAsync;
        server.InterceptingSubscriptionAsync += InterceptSubscriptionAsync;
        server.ClientSubscribedTopicAsync += OnClientSubscribedAsync;
        server.InterceptingPublishAsync += InterceptPublishAsync;
        server.ClientAcknowledgedPublishPacketAsync += OnClientAcknowledgedAsync;
        await server.StartAsync().ConfigureAwait(false);
        _server = server;
        MqttPort = port;
        MqttTlsPort = tlsPort;

        foreach (var device in _devices.Values)
        {
            foreach (var route in device.Routes.Routes)
            {
                EnsureDispatcher(device.Configuration.DeviceId, route.Sink);
            }
        }

        // Endpoints that still hold messages from a previous run but are no longer routed keep draining.
        foreach (string endpointId in _store.Endpoints)
        {
            EnsureDispatcher(endpointId);
        }

        _loops.Add(Task.Run(() => DisconnectExpiredAsync(_stopping.Token)));
        HubLog.Started(_logger, _options.BindAddress + ":" + port, _configuration.IotHubHostName, _devices.Count);
    }

    public async Task StopAsync()
    {
        if (_server is null || Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _server.StopAsync(new MqttServerStopOptions()).ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }

        HubLog.Stopped(_logger);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await StopAsync().ConfigureAwait(false);
        _server?.Dispose();
        await Upstream.DisposeAsync().ConfigureAwait(false);
        Certificates?.Dispose();
        Metrics.Dispose();
        _stopping.Dispose();
    }

    /// <summary>Messages routed per route of every device since the hub started.</summary>
    public IReadOnlyList<RouteStatistics> RouteStatistics()
    {
        var result = new List<RouteStatistics>();
        foreach (var device in _devices.Values)
        {
            result.AddRange(device.RouteStatistics());
        }

        return result;
    }

    /// <summary>
    /// Invokes a direct method on a connected module, as IoT Hub's service API does:
    /// 404 (error 404103) when the module is not connected or not listening for methods, 504 on timeout.
    /// </summary>
    public async Task<MethodResult> InvokeMethodAsync(string deviceId, string moduleId, string methodName, JsonNode? payload, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(methodName);
        if (!_connections.TryGet(deviceId + "/" + moduleId, out var connection) || !connection.MethodsSubscribed)
        {
            Metrics.MethodCalls.Add(1, new KeyValuePair<string, object?>("status", "404"));
            return MethodResult.Error(404, 404103, $"module {deviceId}/{moduleId} is not online or does not listen for direct methods");
        }

        string rid = Interlocked.Increment(ref _methodRequestId).ToString("x", CultureInfo.InvariantCulture);
        var completion = new TaskCompletionSource<MethodResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pendingMethods[rid] = completion;
        try
        {
            var message = new MqttApplicationMessage
            {
                Topic = Topics.MethodRequest(methodName, rid),
                PayloadSegment = Encoding.UTF8.GetBytes(payload?.ToJsonString() ?? "null"),
                QualityOfServiceLevel = MqttQualityOfServiceLevel.AtMostOnce,
            };
            if (!connection.TrySendUntracked(message))
            {
                return MethodResult.Error(404, 404103, $"module {deviceId}/{moduleId} disconnected");
            }

            try
            {
                var result = await completion.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
                Metrics.MethodCalls.Add(1, new KeyValuePair<string, object?>("status", result.Status.ToString(CultureInfo.InvariantCulture)));
                HubLog.MethodCompleted(_logger, methodName, deviceId, moduleId, result.Status);
                return result;
            }
            catch (TimeoutException)
            {
                Metrics.MethodCalls.Add(1, new KeyValuePair<string, object?>("status", "504"));
                return MethodResult.Error(504, 504101, $"method {methodName} on {deviceId}/{moduleId} did not answer within {timeout.TotalSeconds} s");
            }
        }
        finally
        {
            _pendingMethods.TryRemove(rid, out _);
        }
    }

    /// <summary>Routes a message that did not come over MQTT (twin change notifications, tests) and stores it.</summary>
    public async ValueTask<bool> RouteAsync(string deviceId, HubMessage message, CancellationToken cancellationToken)
    {
        if (!_devices.TryGetValue(deviceId, out var device))
        {
            return false;
        }

        // One copy per endpoint, as edgeHub delivers: the winning route's priority and time to live apply.
        var matched = t_matched ??= new List<Route>(8);
        matched.Clear();
        device.Routes.MatchEndpoints(message, matched);
        if (matched.Count == 0)
        {
            Metrics.MessagesUnrouted.Add(1);
            return false;
        }

        var targets = new EnqueueTarget[matched.Count];
        var now = _time.GetUtcNow();
        for (int i = 0; i < matched.Count; i++)
        {
            var route = matched[i];
            device.CountRoute(route);
            int ttl = route.TimeToLiveSecs > 0 ? route.TimeToLiveSecs : device.Configuration.TimeToLiveSecs;
            targets[i] = new EnqueueTarget(device.EndpointIdOf(route.Sink), route.Priority, ttl < 0 ? DateTimeOffset.MaxValue : now.AddSeconds(ttl));
        }

        matched.Clear();
        await _store.AppendAsync(message, targets, cancellationToken).ConfigureAwait(false);
        return true;
    }

    private IEnumerable<System.Diagnostics.Metrics.Measurement<long>> ObserveRoutes()
    {
        foreach (var stat in RouteStatistics())
        {
            yield return new(stat.Messages, new KeyValuePair<string, object?>("device", stat.DeviceId), new KeyValuePair<string, object?>("route", stat.RouteName));
        }
    }

    private IEnumerable<System.Diagnostics.Metrics.Measurement<long>> ObserveEndpoints()
    {
        foreach (var queue in EndpointQueues)
        {
            yield return new(queue.PendingCount, new KeyValuePair<string, object?>("endpoint", queue.EndpointId));
        }
    }

    private long SumConditions(bool undefined)
    {
        long total = 0;
        foreach (var device in _devices.Values)
        {
            foreach (var route in device.Routes.Routes)
            {
                if (route.Condition is { } condition)
                {
                    total += undefined ? condition.UndefinedCount : condition.ErrorCount;
                }
            }
        }

        return total;
    }

    private void EnsureDispatcher(string deviceId, RouteSink sink) =>
        EnsureDispatcher(_devices[deviceId].EndpointIdOf(sink));

    private void EnsureDispatcher(string endpointId)
    {
        // Endpoint ids: "{device}/$upstream" or "{device}/modules/{m}/inputs/{i}".
        int slash = endpointId.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0)
        {
            return;
        }

        string deviceId = endpointId[..slash];
        string rest = endpointId[(slash + 1)..];
        if (rest == "$upstream")
        {
            if (_inputDispatchers.ContainsKey(endpointId))
            {
                return;
            }

            _inputDispatchers[endpointId] = null!;
            var upstream = new UpstreamDispatcher(_store.GetQueue(endpointId), Upstream, Metrics, _logger, _time);
            _loops.Add(Task.Run(() => upstream.RunAsync(_stopping.Token)));
            return;
        }

        var parts = rest.Split('/');
        if (parts.Length != 4 || parts[0] != "modules" || parts[2] != "inputs")
        {
            return;
        }

        var dispatcher = new ModuleInputDispatcher(endpointId, deviceId, parts[1], parts[3], _store.GetQueue(endpointId), _connections, Metrics, _logger);
        if (_inputDispatchers.TryAdd(endpointId, dispatcher))
        {
            _loops.Add(Task.Run(() => dispatcher.RunAsync(_stopping.Token)));
        }
    }

    /// <summary>Closes connections whose SAS token expired (checked every 5 s), as IoT Hub and edgeHub do.</summary>
    private async Task DisconnectExpiredAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(5), _time, stoppingToken).ConfigureAwait(false);
                var now = _time.GetUtcNow();
                foreach (string clientId in _connections.ClientIds)
                {
                    if (_connections.TryGet(clientId, out var connection) && connection.TokenExpiresAt <= now && _server is not null)
                    {
                        HubLog.TokenExpired(_logger, clientId);
                        Metrics.ConnectionsRejected.Add(1, new KeyValuePair<string, object?>("reason", "TokenExpired"));
                        await _server.DisconnectClientAsync(clientId, new MqttServerClientDisconnectOptions { ReasonCode = MqttDisconnectReasonCode.NotAuthorized }).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex)
            {
                HubLog.DeliveryFailed(_logger, ex, "token-expiry", 5000);
            }
        }
    }

    private Task ValidateConnectionAsync(ValidatingConnectionEventArgs args)
    {
        string clientId = args.ClientId ?? "";
        string? failure = Authenticate(clientId, args.UserName, args.Password, out var reason);
        if (failure is not null)
        {
            args.ReasonCode = reason;
            Metrics.ConnectionsRejected.Add(1, new KeyValuePair<string, object?>("reason", reason.ToString()));
            HubLog.ConnectRejected(_logger, clientId, args.UserName, failure);
        }
        else if (args.Password is not null && SharedAccessSignature.TryParse(args.Password, out var token, out _))
        {
            // Like IoT Hub, a connection lives only as long as its token; the client reconnects with a new one.
            args.SessionItems[TokenExpiryKey] = token.ExpiresAt;
        }

        return Task.CompletedTask;
    }

    /// <summary>Checks client id, user name and SAS token exactly as edgeHub's authenticator does for modules.</summary>
    internal string? Authenticate(string clientId, string? userName, string? password, out MqttConnectReasonCode reason)
    {
        reason = MqttConnectReasonCode.Success;
        if (!Identities.TryGetByClientId(clientId, out var identity))
        {
            reason = MqttConnectReasonCode.ClientIdentifierNotValid;
            return $"client id '{clientId}' is not a module of this hub's deployment";
        }

        string expectedUser = _configuration.IotHubHostName + "/" + clientId + "/";
        if (userName is null || !userName.StartsWith(expectedUser, StringComparison.OrdinalIgnoreCase))
        {
            reason = MqttConnectReasonCode.BadUserNameOrPassword;
            return $"user name must start with '{expectedUser}'";
        }

        if (password is null)
        {
            reason = MqttConnectReasonCode.BadUserNameOrPassword;
            return "no password (SAS token) given";
        }

        if (!SharedAccessSignature.TryParse(password, out var token, out string? parseError))
        {
            reason = MqttConnectReasonCode.BadUserNameOrPassword;
            return "password is not a SharedAccessSignature token: " + parseError;
        }

        string expectedResource = _configuration.IotHubHostName + "/devices/" + identity.DeviceId + "/modules/" + identity.ModuleId;
        if (!string.Equals(Uri.UnescapeDataString(token.Resource), expectedResource, StringComparison.OrdinalIgnoreCase))
        {
            reason = MqttConnectReasonCode.NotAuthorized;
            return $"token audience '{token.Resource}' is not '{expectedResource}'";
        }

        if (!SharedAccessSignature.Verify(token, identity.PrimaryKey, _time.GetUtcNow()))
        {
            reason = MqttConnectReasonCode.BadUserNameOrPassword;
            return token.ExpiresAt <= _time.GetUtcNow() ? "token expired" : "token signature does not verify";
        }

        return null;
    }

    private async Task OnClientConnectedAsync(ClientConnectedEventArgs args)
    {
        if (!Identities.TryGetByClientId(args.ClientId, out var identity) || _server is null)
        {
            return;
        }

        var session = await _server.GetSessionAsync(args.ClientId).ConfigureAwait(false);
        if (session is null)
        {
            return;
        }

        var connection = new ModuleConnection(identity, session)
        {
            TokenExpiresAt = args.SessionItems[TokenExpiryKey] is DateTimeOffset expiry ? expiry : DateTimeOffset.MaxValue,
        };
        args.SessionItems[typeof(ModuleConnection)] = connection;
        _connections.Add(connection);
        HubLog.Connected(_logger, args.ClientId);
    }

    private Task OnClientDisconnectedAsync(ClientDisconnectedEventArgs args)
    {
        if (args.SessionItems[typeof(ModuleConnection)] is ModuleConnection connection)
        {
            _connections.Remove(connection);
            connection.Dispose();
        }

        HubLog.Disconnected(_logger, args.ClientId, args.DisconnectType.ToString());
        return Task.CompletedTask;
    }

    private Task InterceptSubscriptionAsync(InterceptingSubscriptionEventArgs args)
    {
        string topic = args.TopicFilter.Topic ?? "";
        if (!Identities.TryGetByClientId(args.ClientId, out var identity) || !IsAllowedSubscription(identity, topic))
        {
            args.ProcessSubscription = false;
            args.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
            Metrics.SubscriptionsRejected.Add(1);
            HubLog.SubscriptionRejected(_logger, args.ClientId, topic, "a module may subscribe only to its own inputs, twin and method topics");
        }

        return Task.CompletedTask;
    }

    internal static bool IsAllowedSubscription(ModuleIdentity identity, string topic)
    {
        string own = "devices/" + identity.DeviceId + "/modules/" + identity.ModuleId + "/";
        return topic == own + "#" || topic.StartsWith(own + "inputs/", StringComparison.Ordinal)
            || topic == "$iothub/twin/res/#" || topic == "$iothub/twin/PATCH/properties/desired/#"
            || topic == "$iothub/methods/POST/#";
    }

    private Task OnClientSubscribedAsync(ClientSubscribedTopicEventArgs args)
    {
        if (!_connections.TryGet(args.ClientId, out var connection))
        {
            return Task.CompletedTask;
        }

        string topic = args.TopicFilter.Topic;
        if (topic.StartsWith("devices/", StringComparison.Ordinal))
        {
            connection.MarkInputsSubscribed();
        }
        else if (topic == "$iothub/twin/PATCH/properties/desired/#")
        {
            connection.DesiredSubscribed = true;
        }
        else if (topic == "$iothub/methods/POST/#")
        {
            connection.MethodsSubscribed = true;
        }

        return Task.CompletedTask;
    }

    private Task OnClientAcknowledgedAsync(ClientAcknowledgedPublishPacketEventArgs args)
    {
        if (_connections.TryGet(args.ClientId, out var connection)
            && connection.TryCompleteAck(args.PublishPacket.PacketIdentifier, out var entry))
        {
            entry.Dispatcher.OnAcknowledged(entry);
        }

        return Task.CompletedTask;
    }

    private async Task InterceptPublishAsync(InterceptingPublishEventArgs args)
    {
        // edgeHub delivers by its own routes; MQTTnet's topic fan-out is never used.
        args.ProcessPublish = false;
        string topicText = args.ApplicationMessage.Topic;
        if (!_connections.TryGet(args.ClientId, out var connection))
        {
            Reject(args, topicText, "publisher is not a connected module", MqttPubAckReasonCode.NotAuthorized);
            return;
        }

        if (!Topics.TryParse(topicText, out var topic, out string? topicError))
        {
            Reject(args, topicText, "unknown topic: " + topicError, MqttPubAckReasonCode.TopicNameInvalid);
            return;
        }

        switch (topic.Kind)
        {
            case TopicKind.Event:
                await AcceptEventAsync(args, connection, topic).ConfigureAwait(false);
                break;
            case TopicKind.TwinGet when topic.RequestId is not null:
                HandleTwinGet(connection, topic.RequestId);
                break;
            case TopicKind.TwinReportedPatch when topic.RequestId is not null:
                await HandleReportedPatchAsync(args, connection, topic.RequestId).ConfigureAwait(false);
                break;
            case TopicKind.MethodResponse:
                HandleMethodResponse(args, topic);
                break;
            default:
                Reject(args, topicText, $"a module does not publish on {topic.Kind} topics", MqttPubAckReasonCode.TopicNameInvalid);
                break;
        }
    }

    private async Task AcceptEventAsync(InterceptingPublishEventArgs args, ModuleConnection connection, ParsedTopic topic)
    {
        string topicText = args.ApplicationMessage.Topic;
        var identity = connection.Identity;
        var payload = args.ApplicationMessage.Payload;
        if (payload.Length > MaxMessageBytes)
        {
            Reject(args, topicText, $"message of {payload.Length} bytes exceeds edgeHub's limit of {MaxMessageBytes}", MqttPubAckReasonCode.QuotaExceeded, "too_large");
            return;
        }

        if (topic.DeviceId != identity.DeviceId || topic.ModuleId != identity.ModuleId)
        {
            Reject(args, topicText, "a module may only send on its own events topic", MqttPubAckReasonCode.NotAuthorized, "not_authorized");
            return;
        }

        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        var system = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!PropertyBagCodec.TryDecode(topic.PropertyBag, properties, system, out string? error))
        {
            Reject(args, topicText, "invalid property encoding: " + error, MqttPubAckReasonCode.TopicNameInvalid, "bad_properties");
            return;
        }

        system[SystemPropertyNames.ConnectionDeviceId] = identity.DeviceId;
        system[SystemPropertyNames.ConnectionModuleId] = identity.ModuleId;
        system[SystemPropertyNames.EnqueuedTime] = _time.GetUtcNow().ToString("o", CultureInfo.InvariantCulture);
        system.TryGetValue(SystemPropertyNames.OutputName, out string? output);
        var message = new HubMessage(payload.ToArray(), properties, system)
        {
            Source = MessageSource.FromModule(identity.DeviceId, identity.ModuleId, output),
        };

        try
        {
            bool routed = await RouteAsync(identity.DeviceId, message, args.CancellationToken).ConfigureAwait(false);
            Metrics.MessagesReceived.Add(1);
            _ = routed;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Not stored, so not acknowledged as a success: MQTT 5 clients get a reason code, 3.1.1 clients a closed connection and a resend.
            Metrics.MessagesRejected.Add(1, new KeyValuePair<string, object?>("reason", "store_failed"));
            HubLog.StoreFailed(_logger, ex, args.ClientId);
            args.Response.ReasonCode = MqttPubAckReasonCode.UnspecifiedError;
            args.CloseConnection = true;
        }
    }

    private void HandleTwinGet(ModuleConnection connection, string rid)
    {
        var document = Twins.GetDeviceDocument(connection.Identity.DeviceId, connection.Identity.ModuleId);
        Metrics.TwinRequests.Add(1, new KeyValuePair<string, object?>("operation", "get"));
        Respond(connection, document is null ? 404 : 200, rid, null, document?.ToJsonString() ?? "{}");
    }

    private async Task HandleReportedPatchAsync(InterceptingPublishEventArgs args, ModuleConnection connection, string rid)
    {
        JsonObject? patch = null;
        try
        {
            patch = JsonNode.Parse(args.ApplicationMessage.Payload.ToArray()) as JsonObject;
        }
        catch (JsonException)
        {
        }

        var identity = connection.Identity;
        if (patch is null)
        {
            Metrics.TwinRequests.Add(1, new KeyValuePair<string, object?>("operation", "patch_reported"), new KeyValuePair<string, object?>("status", "400"));
            HubLog.TwinRequestRejected(_logger, args.ClientId, "reported patch is not a JSON object");
            Respond(connection, 400, rid, null, "{\"message\":\"reported properties patch must be a JSON object\"}");
            return;
        }

        long version = Twins.PatchReported(identity.DeviceId, identity.ModuleId, patch);
        Metrics.TwinRequests.Add(1, new KeyValuePair<string, object?>("operation", "patch_reported"), new KeyValuePair<string, object?>("status", "204"));
        Respond(connection, 204, rid, version, "");

        // Twin change notification (route source /twinChangeNotifications), body as IoT Hub sends it.
        var body = new JsonObject { ["version"] = version, ["properties"] = new JsonObject { ["reported"] = patch.DeepClone() } };
        var system = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [SystemPropertyNames.ConnectionDeviceId] = identity.DeviceId,
            [SystemPropertyNames.ConnectionModuleId] = identity.ModuleId,
            [SystemPropertyNames.ContentType] = "application/json",
            [SystemPropertyNames.ContentEncoding] = "utf-8",
            [SystemPropertyNames.EnqueuedTime] = _time.GetUtcNow().ToString("o", CultureInfo.InvariantCulture),
        };
        var properties = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["hubName"] = _configuration.IotHubHostName.Split('.')[0],
            ["deviceId"] = identity.DeviceId,
            ["moduleId"] = identity.ModuleId,
            ["opType"] = "updateTwin",
            ["iothub-message-schema"] = "twinChangeNotification",
        };
        var notification = new HubMessage(Encoding.UTF8.GetBytes(body.ToJsonString()), properties, system)
        {
            Source = MessageSource.TwinChange(identity.DeviceId, identity.ModuleId),
        };
        try
        {
            await RouteAsync(identity.DeviceId, notification, args.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            HubLog.StoreFailed(_logger, ex, args.ClientId);
        }
    }

    private void HandleMethodResponse(InterceptingPublishEventArgs args, ParsedTopic topic)
    {
        if (topic.RequestId is null || !_pendingMethods.TryRemove(topic.RequestId, out var completion))
        {
            Reject(args, args.ApplicationMessage.Topic, "method response for an unknown $rid", MqttPubAckReasonCode.UnspecifiedError, "unknown_method_rid");
            return;
        }

        JsonNode? payload = null;
        var bytes = args.ApplicationMessage.Payload.ToArray();
        if (bytes.Length > 0)
        {
            try
            {
                payload = JsonNode.Parse(bytes);
            }
            catch (JsonException)
            {
                payload = JsonValue.Create(Encoding.UTF8.GetString(bytes));
            }
        }

        completion.TrySetResult(new MethodResult(topic.Status ?? 500, payload));
    }

    private void OnDesiredChanged(string deviceId, string moduleId, JsonObject patch)
    {
        if (_connections.TryGet(deviceId + "/" + moduleId, out var connection) && connection.DesiredSubscribed)
        {
            long version = patch["$version"]?.GetValue<long>() ?? 0;
            connection.TrySendUntracked(new MqttApplicationMessage
            {
                Topic = Topics.TwinDesiredPatch(version),
                PayloadSegment = Encoding.UTF8.GetBytes(patch.ToJsonString()),
                QualityOfServiceLevel = MqttQualityOfServiceLevel.AtMostOnce,
            });
        }

        HubLog.DesiredUpdated(_logger, deviceId, moduleId, patch["$version"]?.GetValue<long>() ?? 0);
    }

    private static void Respond(ModuleConnection connection, int status, string rid, long? version, string body)
    {
        connection.TrySendUntracked(new MqttApplicationMessage
        {
            Topic = Topics.TwinResponse(status, rid, version),
            PayloadSegment = Encoding.UTF8.GetBytes(body),
            QualityOfServiceLevel = MqttQualityOfServiceLevel.AtMostOnce,
        });
    }

    private void Reject(InterceptingPublishEventArgs args, string topic, string reason, MqttPubAckReasonCode code, string metricReason = "unknown_topic")
    {
        Metrics.MessagesRejected.Add(1, new KeyValuePair<string, object?>("reason", metricReason));
        HubLog.MessageRejected(_logger, args.ClientId, topic, reason);
        args.Response.ReasonCode = code;
        args.Response.ReasonString = reason;
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class DeviceRuntime
    {
        private readonly ConcurrentDictionary<RouteSink, string> _endpointIds = new();

        private readonly Dictionary<Route, int> _routeIndex = [];
        private readonly long[] _routeCounts;

        public DeviceRuntime(DeviceConfiguration configuration, RouteTable routes)
        {
            Configuration = configuration;
            Routes = routes;
            _routeCounts = new long[routes.Routes.Count];
            for (int i = 0; i < routes.Routes.Count; i++)
            {
                _routeIndex[routes.Routes[i]] = i;
            }
        }

        public DeviceConfiguration Configuration { get; }

        public RouteTable Routes { get; }

        public void CountRoute(Route route)
        {
            if (_routeIndex.TryGetValue(route, out int index))
            {
                Interlocked.Increment(ref _routeCounts[index]);
            }
        }

        public IEnumerable<RouteStatistics> RouteStatistics()
        {
            var routes = Routes.Routes;
            for (int i = 0; i < routes.Count; i++)
            {
                yield return new RouteStatistics(Configuration.DeviceId, routes[i].Name, Interlocked.Read(ref _routeCounts[i]));
            }
        }

        public string EndpointIdOf(RouteSink sink) =>
            _endpointIds.GetOrAdd(sink, static (s, deviceId) => deviceId + (s.EndpointId.StartsWith('/') ? "" : "/") + s.EndpointId, Configuration.DeviceId);
    }
}

/// <summary>How many messages one route carried.</summary>
public sealed record RouteStatistics(string DeviceId, string RouteName, long Messages);

/// <summary>The result of a direct method call: status and JSON payload (IoT Hub's shape).</summary>
public sealed record MethodResult(int Status, JsonNode? Payload)
{
    public static MethodResult Error(int status, int errorCode, string message) =>
        new(status, new JsonObject { ["errorCode"] = errorCode, ["message"] = message });
}

/// <summary>Network and storage settings of the hub process.</summary>
public sealed class HubServerOptions
{
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>Plain MQTT port; 0 picks a free one.</summary>
    public int MqttPort { get; set; } = 1883;

    /// <summary>MQTT over TLS port; 0 picks a free one, -1 turns TLS off.</summary>
    public int TlsPort { get; set; } = -1;

    /// <summary>The host name modules use for the hub (`IOTEDGE_GATEWAYHOSTNAME`), put in the server certificate.</summary>
    public string GatewayHostName { get; set; } = "localhost";

    /// <summary>State folder (store, twins, identities, upstream); null keeps twins and upstream in memory.</summary>
    public string? StateDirectory { get; set; }
}
