using EdgeHub.Mqtt;
using Microsoft.Extensions.Hosting;

namespace EdgeHub.Hosting;

/// <summary>Runs the <see cref="EdgeHubServer"/> inside the generic host.</summary>
internal sealed class HubService(EdgeHubServer hub) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => hub.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => hub.StopAsync();
}
