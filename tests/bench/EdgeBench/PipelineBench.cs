using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeHub.Hosting;
using EdgeHub.Mqtt;
using EdgeHub.Storage;
using EdgeKit;
using EdgeKit.Auth;
using EdgeKit.Client;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace EdgeBench;

/// <summary>
/// `pipeline`: module -> local edgeHub -> module throughput and latency with 1 KB QoS 1 messages through one route with a
/// WHERE clause and persistence on, next to a raw MQTTnet broker's QoS 1 pub/sub measured in the same run.
/// </summary>
internal static class PipelineBench
{
    private const string HubName = "bench.azure-devices.net";

    public static async Task<int> RunAsync(string[] args)
    {
        int messages = Arg(args, "--messages", 100_000);
        int size = Arg(args, "--size", 1024);
        int inflight = Arg(args, "--inflight", 256);
        int rounds = Arg(args, "--rounds", 1);
        bool edgeKit = Array.IndexOf(args, "edgekit") > 0 && Array.IndexOf(args, "--client") >= 0;
        Console.WriteLine($"pipeline: {messages} messages of {size} B, QoS 1, {inflight} in flight per publisher, {Environment.ProcessorCount} cores");
        for (int round = 0; round < rounds; round++)
        {
            var raw = await RunRawBrokerAsync(messages, size, inflight);
            Report("raw MQTTnet broker pub/sub", raw);
            var hub = await RunHubAsync(messages, size, inflight, edgeKit: false);
            Report("local edgeHub (route WHERE, persisted)", hub);
            Console.WriteLine($"ratio edgeHub/raw: {hub.Rate / raw.Rate:F2}");
            if (edgeKit)
            {
                Report("EdgeKit ModuleClient -> edgeHub -> EdgeKit", await RunHubAsync(messages, size, inflight, edgeKit: true));
            }
        }

        return 0;
    }

    private static void Report(string name, Result r) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-42} {r.Rate,10:F0} msg/s   latency p50 {r.P50:F2} ms  p99 {r.P99:F2} ms  max {r.Max:F2} ms  (received {r.Received})"));

    private static async Task<Result> RunRawBrokerAsync(int messages, int size, int inflight)
    {
        int port = FreePort();
        var options = new MqttServerOptionsBuilder().WithDefaultEndpoint().WithDefaultEndpointBoundIPAddress(IPAddress.Loopback).WithDefaultEndpointPort(port)
            .WithMaxPendingMessagesPerClient(1_000_000).Build();
        using var server = new MqttServerFactory().CreateMqttServer(options);
        await server.StartAsync();
        try
        {
            var receiverOptions = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId("receiver").WithProtocolVersion(MqttProtocolVersion.V311).Build();
            var senderOptions = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId("sender").WithProtocolVersion(MqttProtocolVersion.V311).Build();
            return await MeasureAsync(receiverOptions, "bench/#", senderOptions, "bench/in", messages, size, inflight);
        }
        finally
        {
            await server.StopAsync(new MqttServerStopOptions());
        }
    }

    private static async Task<Result> RunHubAsync(int messages, int size, int inflight, bool edgeKit)
    {
        string state = Path.Combine(Path.GetTempPath(), "edgebench-" + Guid.NewGuid().ToString("N"));
        var configuration = new HubConfiguration { IotHubHostName = HubName };
        var routes = new JsonObject { ["r"] = "FROM /messages/modules/sender/outputs/out1 WHERE $body.temperature > 50 INTO BrokeredEndpoint(\"/modules/receiver/inputs/in1\")" };
        var device = new DeviceConfiguration { DeviceId = "bench", Routes = JsonSerializer.SerializeToElement(routes, BenchJson.Default.JsonObject) };
        string key = Convert.ToBase64String(new byte[32]);
        device.Modules.Add(new ModuleConfiguration { ModuleId = "sender", PrimaryKey = key });
        device.Modules.Add(new ModuleConfiguration { ModuleId = "receiver", PrimaryKey = key });
        configuration.Devices.Add(device);
        var store = MessageStore.Open(new MessageStoreOptions { Directory = Path.Combine(state, "store") });
        var hub = new EdgeHubServer(new HubServerOptions { MqttPort = 0, StateDirectory = state }, configuration, store, NullLoggerFactory.Instance);
        await hub.StartAsync(CancellationToken.None);
        try
        {
            if (edgeKit)
            {
                return await MeasureModuleClientsAsync(hub.MqttPort, key, messages, size, inflight);
            }

            return await MeasureAsync(ModuleOptions(hub.MqttPort, "receiver", key), "devices/bench/modules/receiver/#",
                ModuleOptions(hub.MqttPort, "sender", key), "devices/bench/modules/sender/messages/events/$.on=out1&$.ct=application%2Fjson&$.ce=utf-8",
                messages, size, inflight);
        }
        finally
        {
            await hub.DisposeAsync();
            await store.DisposeAsync();
            Directory.Delete(state, recursive: true);
        }
    }

    private static MqttClientOptions ModuleOptions(int port, string module, string key) => new MqttClientOptionsBuilder()
        .WithTcpServer("127.0.0.1", port)
        .WithClientId("bench/" + module)
        .WithProtocolVersion(MqttProtocolVersion.V311)
        .WithCredentials($"{HubName}/bench/{module}/?api-version=2020-09-30", SharedAccessSignature.Create($"{HubName}/devices/bench/modules/{module}", Convert.FromBase64String(key), DateTimeOffset.UtcNow.AddHours(1)))
        .Build();

    private static async Task<Result> MeasureAsync(MqttClientOptions receiverOptions, string filter, MqttClientOptions senderOptions, string topic, int messages, int size, int inflight)
    {
        var latencies = new double[messages];
        int received = 0;
        long lastReceived = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var receiver = new MqttClientFactory().CreateMqttClient();
        receiver.ApplicationMessageReceivedAsync += e =>
        {
            long now = Stopwatch.GetTimestamp();
            var span = e.ApplicationMessage.Payload.FirstSpan;
            if (!Utf8Parser.TryParse(span[5..], out long sent, out _))
            {
                return Task.CompletedTask;
            }

            int n = Interlocked.Increment(ref received);
            if (n <= messages)
            {
                latencies[n - 1] = Stopwatch.GetElapsedTime(sent, now).TotalMilliseconds;
            }

            if (n == messages)
            {
                lastReceived = now;
                done.TrySetResult();
            }

            return Task.CompletedTask;
        };
        await receiver.ConnectAsync(receiverOptions);
        await receiver.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce).Build());

        using var sender = new MqttClientFactory().CreateMqttClient();
        await sender.ConnectAsync(senderOptions);
        using var window = new SemaphoreSlim(inflight);
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < messages; i++)
        {
            await window.WaitAsync();
            var message = new MqttApplicationMessage { Topic = topic, PayloadSegment = Payload(size), QualityOfServiceLevel = MqttQualityOfServiceLevel.AtLeastOnce };
            _ = sender.PublishAsync(message).ContinueWith(_ => window.Release(), TaskScheduler.Default);
        }

        while (!done.Task.IsCompleted)
        {
            var tick = Task.Delay(TimeSpan.FromSeconds(5));
            if (await Task.WhenAny(done.Task, tick) == tick)
            {
                Console.WriteLine($"  ... {Volatile.Read(ref received)} received after {Stopwatch.GetElapsedTime(start).TotalSeconds:F0} s");
                if (Stopwatch.GetElapsedTime(start) > TimeSpan.FromMinutes(5))
                {
                    throw new TimeoutException($"only {Volatile.Read(ref received)} of {messages} messages arrived in 5 minutes");
                }
            }
        }

        double seconds = Stopwatch.GetElapsedTime(start, lastReceived).TotalSeconds;
        await sender.DisconnectAsync();
        await receiver.DisconnectAsync();
        Array.Sort(latencies);
        return new Result(messages / seconds, latencies[messages / 2], latencies[(int)(messages * 0.99)], latencies[^1], received);
    }

    /// <summary>The same flow with our own ModuleClient on both ends (what a module really runs).</summary>
    private static async Task<Result> MeasureModuleClientsAsync(int port, string key, int messages, int size, int inflight)
    {
        var options = new ModuleClientOptions { UseTls = false, Port = port, MaxInFlightPublishes = inflight, MaxPendingMessages = inflight * 4 };
        await using var receiver = ModuleClient.CreateFromConnectionString($"HostName={HubName};DeviceId=bench;ModuleId=receiver;SharedAccessKey={key};GatewayHostName=127.0.0.1", options);
        await using var sender = ModuleClient.CreateFromConnectionString($"HostName={HubName};DeviceId=bench;ModuleId=sender;SharedAccessKey={key};GatewayHostName=127.0.0.1", options);
        var latencies = new double[messages];
        int received = 0;
        long lastReceived = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await receiver.SetInputMessageHandlerAsync("in1", (message, ct) =>
        {
            long now = Stopwatch.GetTimestamp();
            if (Utf8Parser.TryParse(message.Body.Span[5..], out long sent, out _))
            {
                int n = Interlocked.Increment(ref received);
                if (n <= messages)
                {
                    latencies[n - 1] = Stopwatch.GetElapsedTime(sent, now).TotalMilliseconds;
                }

                if (n == messages)
                {
                    lastReceived = now;
                    done.TrySetResult();
                }
            }

            return Task.FromResult(MessageResponse.Completed);
        }, CancellationToken.None);
        await receiver.OpenAsync(CancellationToken.None);
        await sender.OpenAsync(CancellationToken.None);
        long start = Stopwatch.GetTimestamp();
        var sends = new List<Task>(inflight);
        for (int i = 0; i < messages; i++)
        {
            var message = new Message(Payload(size)) { ContentType = "application/json", ContentEncoding = "utf-8" };
            sends.Add(sender.SendEventAsync("out1", message, CancellationToken.None));
            if (sends.Count == inflight)
            {
                await Task.WhenAll(sends);
                sends.Clear();
            }
        }

        await Task.WhenAll(sends);
        await done.Task.WaitAsync(TimeSpan.FromMinutes(5));
        double seconds = Stopwatch.GetElapsedTime(start, lastReceived).TotalSeconds;
        Array.Sort(latencies);
        return new Result(messages / seconds, latencies[messages / 2], latencies[(int)(messages * 0.99)], latencies[^1], received);
    }

    private static byte[] Payload(int size)
    {
        // {"t":<timestamp>,"temperature":70,"pad":"xxx..."} padded to exactly `size` bytes.
        string head = "{\"t\":" + Stopwatch.GetTimestamp().ToString(CultureInfo.InvariantCulture) + ",\"temperature\":70,\"pad\":\"";
        int pad = Math.Max(0, size - head.Length - 2);
        return Encoding.UTF8.GetBytes(head + new string('x', pad) + "\"}");
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed record Result(double Rate, double P50, double P99, double Max, int Received);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(JsonObject))]
internal sealed partial class BenchJson : System.Text.Json.Serialization.JsonSerializerContext;
