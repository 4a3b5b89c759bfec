using EdgeCtl.Commands;

return await EdgeCtlCli.RunAsync(args);
