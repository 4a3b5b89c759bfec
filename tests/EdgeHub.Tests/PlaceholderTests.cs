namespace EdgeHub.Tests; public class PlaceholderTests { [Fact] public void Placeholder_Builds() => Assert.True(true); }
