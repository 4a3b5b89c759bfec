using EdgeHub.Delivery;
using EdgeHub.Identity;
using MQTTnet;
using MQTTnet.Server;

namespace EdgeHub.Mqtt;

/// <summary>
/// One live MQTT connection of a module. Owns the map from MQTT packet identifiers to the store entries in flight,
/// so that a PUBACK acknowledges exactly the entry it belongs to. Ends (its <see cref="Lifetime"/> fires) on disconnect.
/// </summary>
internal sealed class ModuleConnection : IDisposable
{
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Dictionary<ushort, InFlightEntry> _inFlight = [];
    private readonly Lock _gate = new();
    private volatile bool _inputsSubscribed;

    public ModuleConnection(ModuleIdentity identity, MqttSessionStatus session)
    {
        Identity = identity;
        Session = session;
    }

    public ModuleIdentity Identity { get; }

    public MqttSessionStatus Session { get; }

    public CancellationToken Lifetime => _lifetime.Token;

    /// <summary>When the SAS token this connection authenticated with expires.</summary>
    public DateTimeOffset TokenExpiresAt { get; init; } = DateTimeOffset.MaxValue;

    public bool InputsSubscribed => _inputsSubscribed;

    public bool DesiredSubscribed { get; set; }

    public bool MethodsSubscribed { get; set; }

    public event Action? InputsSubscribedChanged;

    public void MarkInputsSubscribed()
    {
        _inputsSubscribed = true;
        InputsSubscribedChanged?.Invoke();
    }

    /// <summary>Queues a QoS 1 message for this session and remembers which entry its packet identifier carries.</summary>
    public bool TrySend(MqttApplicationMessage message, in InFlightEntry entry)
    {
        lock (_gate)
        {
            if (_lifetime.IsCancellationRequested || !Session.TryEnqueueApplicationMessage(message, out var result))
            {
                return false;
            }

            _inFlight[result.PacketIdentifier] = entry;
            return true;
        }
    }

    /// <summary>Queues a message that needs no acknowledgement tracking (twin responses, method requests).</summary>
    public bool TrySendUntracked(MqttApplicationMessage message)
    {
        lock (_gate)
        {
            return !_lifetime.IsCancellationRequested && Session.TryEnqueueApplicationMessage(message, out _);
        }
    }

    public bool TryCompleteAck(ushort packetIdentifier, out InFlightEntry entry)
    {
        lock (_gate)
        {
            return _inFlight.Remove(packetIdentifier, out entry);
        }
    }

    public void End()
    {
        lock (_gate)
        {
            _inFlight.Clear();
            _lifetime.Cancel();
        }
    }

    public void Dispose() => _lifetime.Dispose();
}

/// <summary>A store entry sent to a module and not yet acknowledged.</summary>
internal readonly record struct InFlightEntry(ModuleInputDispatcher Dispatcher, long Sequence, int Priority);
