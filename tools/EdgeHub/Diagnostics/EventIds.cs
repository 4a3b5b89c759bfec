namespace EdgeHub.Diagnostics;

/// <summary>Event id blocks of the hub's log messages, one block of 100 per area.</summary>
internal static class EventIds
{
    public const int Server = 1000;
    public const int Connections = 1100;
    public const int Messages = 1200;
    public const int Delivery = 1300;
    public const int Twin = 1400;
    public const int Methods = 1500;
    public const int Routing = 1600;
    public const int Api = 1700;
}
