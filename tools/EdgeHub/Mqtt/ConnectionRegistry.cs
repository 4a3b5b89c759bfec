using System.Collections.Concurrent;

namespace EdgeHub.Mqtt;

/// <summary>The live module connections, by MQTT client id (`{device}/{module}`), with waiters for dispatchers.</summary>
internal sealed class ConnectionRegistry
{
    private readonly ConcurrentDictionary<string, ModuleConnection> _connections = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Count => _connections.Count;

    public ICollection<string> ClientIds => _connections.Keys;

    public bool TryGet(string clientId, out ModuleConnection connection) => _connections.TryGetValue(clientId, out connection!);

    public void Add(ModuleConnection connection)
    {
        if (_connections.TryGetValue(connection.Identity.ClientId, out var previous))
        {
            previous.End();
        }

        _connections[connection.Identity.ClientId] = connection;
        connection.InputsSubscribedChanged += Signal;
        Signal();
    }

    public void Remove(ModuleConnection connection)
    {
        connection.End();
        _connections.TryRemove(new KeyValuePair<string, ModuleConnection>(connection.Identity.ClientId, connection));
        Signal();
    }

    /// <summary>Waits until the module is connected and has subscribed to its inputs.</summary>
    public async Task<ModuleConnection> WaitForInputSubscriberAsync(string clientId, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                changed = _changed.Task;
            }

            if (_connections.TryGetValue(clientId, out var connection) && connection.InputsSubscribed && !connection.Lifetime.IsCancellationRequested)
            {
                return connection;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void Signal()
    {
        TaskCompletionSource previous;
        lock (_gate)
        {
            previous = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        previous.TrySetResult();
    }
}
