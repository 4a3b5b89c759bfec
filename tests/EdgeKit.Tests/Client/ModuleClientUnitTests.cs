using System.Diagnostics.Metrics;
using EdgeKit.Client;

namespace EdgeKit.Tests.Client;

[Trait("Category", "Unit")]
public class ModuleClientUnitTests
{
    private const string Key = "c2VjcmV0LWtleS1mb3ItdGVzdHMtMDEyMzQ1Njc4OWFiY2RlZg==";

    [Fact]
    public void BuildUsername_MatchesSdkModuleUsername()
    {
        Assert.Equal(
            "hub.azure-devices.net/dev1/mod1/?api-version=2020-09-30&DeviceClientType=EdgeKit%2F1.0%20%28.NET%2010%29",
            ModuleClient.BuildUsername("hub.azure-devices.net", "dev1", "mod1", "EdgeKit/1.0 (.NET 10)"));
    }

    [Fact]
    public void ConnectionString_Parsed_WithGatewayAndKeyContainingEquals()
    {
        ModuleConnectionSettings settings = ModuleConnectionSettings.FromConnectionString(
            $"HostName=hub.azure-devices.net;DeviceId=dev1;ModuleId=mod1;SharedAccessKey={Key};GatewayHostName=edgehub");
        Assert.Equal("hub.azure-devices.net", settings.IotHubHostName);
        Assert.Equal("dev1", settings.DeviceId);
        Assert.Equal("mod1", settings.ModuleId);
        Assert.Equal("edgehub", settings.ConnectHost);
        Assert.Equal("hub.azure-devices.net/devices/dev1/modules/mod1", settings.TokenResource);
    }

    [Theory]
    [InlineData("HostName=h;DeviceId=d;SharedAccessKey=" + Key, "ModuleId")]
    [InlineData("HostName=h;DeviceId=d;ModuleId=m;SharedAccessKey=not base64!", "base64")]
    [InlineData("garbage", "Malformed")]
    public void ConnectionString_Invalid_ThrowsConfigurationException(string connectionString, string expected)
    {
        var ex = Assert.Throws<EdgeKitConfigurationException>(() => ModuleConnectionSettings.FromConnectionString(connectionString));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateFromEnvironment_ConnectionStringAndPort1883_UsesPlainMqtt()
    {
        var env = new Dictionary<string, string>
        {
            ["EdgeHubConnectionString"] = $"HostName=h;DeviceId=d;ModuleId=m;SharedAccessKey={Key};GatewayHostName=localhost",
            ["EdgeKit__Port"] = "1883",
        };
        var options = new ModuleClientOptions();
        await using ModuleClient client = ModuleClient.CreateFromEnvironment(env.GetValueOrDefault, options, null, null);
        Assert.False(options.UseTls);
        Assert.Equal(1883, options.EffectivePort);
        Assert.Equal("m", client.ModuleId);
    }

    [Fact]
    public void CreateFromEnvironment_WithoutAnything_ListsMissingVariables()
    {
        var ex = Assert.Throws<EdgeKitConfigurationException>(() => ModuleClient.CreateFromEnvironment(_ => null, null, null, null));
        Assert.Contains("IOTEDGE_WORKLOADURI", ex.Message, StringComparison.Ordinal);
        Assert.Contains("IOTEDGE_MODULEGENERATIONID", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateFromEnvironment_EdgeVariables_UsesWorkloadSigner()
    {
        var env = new Dictionary<string, string>
        {
            ["IOTEDGE_WORKLOADURI"] = "unix:///var/run/iotedge/workload.sock",
            ["IOTEDGE_DEVICEID"] = "dev1",
            ["IOTEDGE_MODULEID"] = "mod1",
            ["IOTEDGE_IOTHUBHOSTNAME"] = "hub.azure-devices.net",
            ["IOTEDGE_GATEWAYHOSTNAME"] = "gateway",
            ["IOTEDGE_MODULEGENERATIONID"] = "gen1",
            ["IOTEDGE_AUTHSCHEME"] = "sasToken",
            ["IOTEDGE_APIVERSION"] = "2018-06-28",
        };
        await using ModuleClient client = ModuleClient.CreateFromEnvironment(env.GetValueOrDefault, null, null, null);
        Assert.Equal("dev1", client.DeviceId);
        Assert.Equal("mod1", client.ModuleId);
    }

    [Fact]
    public void OptionsValidator_ListsEveryProblem()
    {
        var result = new ModuleClientOptionsValidator().Validate(null, new ModuleClientOptions
        {
            Port = 0,
            MaxPendingMessages = 0,
            TokenRenewalFraction = 1.5,
            OperationTimeout = TimeSpan.Zero,
        });
        Assert.True(result.Failed);
        Assert.Equal(4, result.Failures!.Count());
    }

    [Fact]
    public async Task SendEventAsync_QueueFullAndFailMode_ThrowsAndCountsMetric()
    {
        long full = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ClientMetrics.MeterName && instrument.Name == "edge_module_send_queue_full_total")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref full, value));
        listener.Start();

        // Never opened: nothing drains the queue.
        await using ModuleClient client = ModuleClient.CreateFromConnectionString(
            $"HostName=h;DeviceId=d;ModuleId=queuefull;SharedAccessKey={Key}",
            new ModuleClientOptions { MaxPendingMessages = 2, QueueFullMode = QueueFullMode.Fail });
        Task first = client.SendEventAsync("out", new Message([1]), CancellationToken.None);
        Task second = client.SendEventAsync("out", new Message([2]), CancellationToken.None);
        Assert.Equal(2, client.QueueLength);

        await Assert.ThrowsAsync<MessageQueueFullException>(() => client.SendEventAsync("out", new Message([3]), CancellationToken.None));
        Assert.Equal(1, Interlocked.Read(ref full));
        Assert.False(first.IsCompleted);
        Assert.False(second.IsCompleted);

        // Closing fails what was never acknowledged: nothing is dropped silently.
        await client.CloseAsync(CancellationToken.None);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => first);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => second);
    }

    [Fact]
    public async Task SendEventAsync_QueueFullAndWaitMode_WaitsForRoom()
    {
        await using ModuleClient client = ModuleClient.CreateFromConnectionString(
            $"HostName=h;DeviceId=d;ModuleId=queuewait;SharedAccessKey={Key}",
            new ModuleClientOptions { MaxPendingMessages = 1, QueueFullMode = QueueFullMode.Wait });
        Task queued = client.SendEventAsync("out", new Message([1]), CancellationToken.None);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        Task blocked = client.SendEventAsync("out", new Message([2]), cts.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blocked);
        Assert.Equal(1, client.QueueLength);
        await client.CloseAsync(CancellationToken.None);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => queued);
    }

    [Fact]
    public async Task SendEventAsync_BodyAboveLimit_Throws()
    {
        await using ModuleClient client = ModuleClient.CreateFromConnectionString($"HostName=h;DeviceId=d;ModuleId=m;SharedAccessKey={Key}");
        await Assert.ThrowsAsync<ArgumentException>(() => client.SendEventAsync("out", new Message(new byte[300 * 1024]), CancellationToken.None));
    }

    [Fact]
    public async Task CloseAsync_Twice_IsSafe()
    {
        ModuleClient client = ModuleClient.CreateFromConnectionString($"HostName=h;DeviceId=d;ModuleId=m;SharedAccessKey={Key}");
        await client.CloseAsync(CancellationToken.None);
        await client.CloseAsync(CancellationToken.None);
        await client.DisposeAsync();
        await client.DisposeAsync();
    }
}
