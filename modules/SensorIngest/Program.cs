using EdgeKit.Hosting;
using Microsoft.Extensions.Hosting;
using SensorIngest.Hosting;

HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
builder.AddEdgeModule();
builder.AddSensorIngest();
builder.Build().Run();
