namespace EdgeCtl.Tests; public class PlaceholderTests { [Fact] public void Cli_Builds() => Assert.NotNull(EdgeCtl.Commands.EdgeCtlCli.Build()); }
