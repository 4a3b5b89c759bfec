using System.Text;
using EdgeHub.Messaging;
using EdgeHub.Storage;

namespace EdgeHub.Tests.Storage;

[Trait("Category", "Unit")]
public sealed class RecordCodecTests
{
    [Fact]
    public void Crc32C_OfStandardCheckString_IsE3069283()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")));
    }

    [Fact]
    public void ReadMessage_OfTruncatedOrDamagedPayload_ThrowsCorruptNeverAnythingElse()
    {
        HubMessage message = StoreTestContext.Message("hello", padTo: 64);
        EnqueueTarget[] targets = [new("$upstream", 2, DateTimeOffset.MaxValue), new("/modules/a/inputs/b", 0, DateTimeOffset.UnixEpoch)];
        int length = RecordCodec.MeasurePayload(message, targets, out _);
        var payload = new byte[length];
        Assert.Equal(length, RecordCodec.WritePayload(payload, message, targets));

        var recovered = new List<RecoveredTarget>();
        RecordCodec.ReadTargets(payload, recovered);
        Assert.Equal(2, recovered.Count);
        Assert.Equal("hello", RecordCodec.ReadMessage(payload).Properties["text"]);

        var random = new Random(1);
        for (int cut = 0; cut < length; cut++)
        {
            Assert.Throws<MessageStoreCorruptException>(() => RecordCodec.ReadMessage(payload.AsSpan(0, cut)));
        }

        for (int round = 0; round < 2000; round++)
        {
            byte[] damaged = (byte[])payload.Clone();
            damaged[random.Next(damaged.Length)] = (byte)random.Next(256);
            try
            {
                RecordCodec.ReadMessage(damaged);
                recovered.Clear();
                RecordCodec.ReadTargets(damaged, recovered);
            }
            catch (MessageStoreCorruptException)
            {
            }
            catch (OverflowException)
            {
                Assert.Fail("An overflowing length must surface as MessageStoreCorruptException.");
            }
        }
    }
}
