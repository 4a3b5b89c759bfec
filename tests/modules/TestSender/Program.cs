using System.Text;
using System.Text.Json.Nodes;
using EdgeKit;
using EdgeKit.Client;
using EdgeKit.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// Sends {"n":i,"temperature":70} on output "out1" every 200 ms; exits with code 3 when SENDER_EXIT_AT=n is reached
// (for restart-policy tests).
var builder = Host.CreateApplicationBuilder(args);
builder.AddEdgeModule();
builder.Services.AddHostedService<Sender>();
builder.Build().Run();

internal sealed class Sender(ModuleClient client, IHostApplicationLifetime lifetime) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        int exitAt = int.TryParse(Environment.GetEnvironmentVariable("SENDER_EXIT_AT"), out int n) ? n : -1;
        await client.UpdateReportedPropertiesAsync(new JsonObject { ["started"] = DateTimeOffset.UtcNow.ToString("o") }, stoppingToken);
        for (int i = 0; !stoppingToken.IsCancellationRequested; i++)
        {
            if (i == exitAt)
            {
                Environment.ExitCode = 3;
                lifetime.StopApplication();
                return;
            }

            var message = new Message(Encoding.UTF8.GetBytes($"{{\"n\":{i},\"temperature\":70}}")) { ContentType = "application/json", ContentEncoding = "utf-8" };
            await client.SendEventAsync("out1", message, stoppingToken);
            await Task.Delay(200, stoppingToken);
        }
    }
}
