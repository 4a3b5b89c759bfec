using System.Text.Json.Nodes;
using EdgeKit;
using EdgeKit.Client;
using EdgeKit.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// Reports the last "n" received on input "in1" as reported property lastN, and echoes desired "value" as reported "echo".
var builder = Host.CreateApplicationBuilder(args);
builder.AddEdgeModule();
builder.Services.AddHostedService<Receiver>();
builder.Build().Run();

internal sealed class Receiver(ModuleClient client) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await client.SetInputMessageHandlerAsync("in1", async (message, ct) =>
        {
            var body = JsonNode.Parse(message.Body.Span);
            await client.UpdateReportedPropertiesAsync(new JsonObject { ["lastN"] = body?["n"]?.GetValue<int>() }, ct);
            return MessageResponse.Completed;
        }, stoppingToken);
        await client.SetDesiredPropertyUpdateCallbackAsync(async (patch, ct) =>
        {
            if (patch["value"] is JsonNode value)
            {
                await client.UpdateReportedPropertiesAsync(new JsonObject { ["echo"] = value.DeepClone() }, ct);
            }
        }, stoppingToken);
        var twin = await client.GetTwinAsync(stoppingToken);
        await client.UpdateReportedPropertiesAsync(new JsonObject { ["echo"] = twin.Desired["value"]?.DeepClone() }, stoppingToken);
    }
}
