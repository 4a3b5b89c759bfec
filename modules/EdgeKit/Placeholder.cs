namespace EdgeKit; internal static class Placeholder { }
