using System.Net;
using EdgeKit.Client;
using EdgeKit.Hosting;
using EdgeKit.Tests.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using TestSupport.Mqtt;

namespace EdgeKit.Tests.Hosting;

[Trait("Category", "Integration")]
public class EdgeModuleHostingTests(MosquittoFixture broker) : IClassFixture<MosquittoFixture>
{
    [Fact]
    public async Task AddEdgeModule_ServesHealthAndMetrics_ReadyWhenConnected()
    {
        int port = MosquittoFixture.GetFreePort();
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EdgeKit:MetricsPort"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["EdgeKit:MetricsBindAddress"] = "127.0.0.1",
        });
        builder.AddEdgeModule(_ => ModuleClientMosquittoTests.CreateClient(broker.Host, broker.Port, "d1", "hosted"));
        using IHost host = builder.Build();
        await host.StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            ModuleClient client = host.Services.GetRequiredService<ModuleClient>();
            await client.OpenAsync(CancellationToken.None);

            Assert.Equal("live", await http.GetStringAsync("health/live"));
            HttpResponseMessage ready = await http.GetAsync("health/ready");
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

            await client.SendEventAsync("out", new Message([1, 2, 3]), CancellationToken.None);
            HttpResponseMessage metrics = await http.GetAsync("metrics");
            Assert.Equal("text/plain; version=0.0.4; charset=utf-8", metrics.Content.Headers.ContentType?.ToString());
            string text = await metrics.Content.ReadAsStringAsync();
            Assert.Contains("# TYPE edge_module_messages_sent_total counter", text, StringComparison.Ordinal);
            Assert.Contains("edge_module_send_queue_length{module=\"hosted\"} 0", text, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("nope")).StatusCode);

            await broker.StopAsync(graceful: false);
            try
            {
                DateTime deadline = DateTime.UtcNow.AddSeconds(10);
                while (client.IsConnected && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(20);
                }

                Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("health/ready")).StatusCode);
            }
            finally
            {
                await broker.StartAsync();
            }
        }
        finally
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await host.StopAsync(stop.Token);
        }
    }

    [Fact]
    public void AddEdgeModule_InvalidOptions_FailValidationListingEveryProblem()
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EdgeKit:MetricsPort"] = "70000",
            ["EdgeKit:MaxPendingMessages"] = "0",
        });
        builder.AddEdgeModule(_ => throw new InvalidOperationException("not created"));
        using IHost host = builder.Build();
        var hosting = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<EdgeModuleHostingOptions>>().Value);
        Assert.Contains("MetricsPort", hosting.Message, StringComparison.Ordinal);
        var client = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<ModuleClientOptions>>().Value);
        Assert.Contains("MaxPendingMessages", client.Message, StringComparison.Ordinal);
    }
}
