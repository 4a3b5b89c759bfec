using EdgeHub.Hosting;

try
{
    await HubHost.Build(args).RunAsync();
    return 0;
}
catch (OptionsException ex)
{
    await Console.Error.WriteLineAsync(ex.Message);
    return 2;
}
