using Microsoft.Extensions.Logging;

namespace EdgeHub.Storage;

/// <summary>Log messages of the store. Event ids 3100-3199 are the store's block.</summary>
internal static partial class StoreLog
{
    [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "Message store opened in {Directory}: {Segments} segments, {Entries} pending entries, next sequence {NextSequence}, recovery took {ElapsedMs} ms")]
    public static partial void Opened(ILogger logger, string directory, int segments, long entries, long nextSequence, long elapsedMs);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Torn or corrupt record in {Segment} at offset {Offset} ({Reason}); truncating the segment from there")]
    public static partial void TruncatingSegment(ILogger logger, string segment, long offset, string reason);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "Checkpoint file {Path} is unreadable ({Reason}); every stored entry will be delivered again")]
    public static partial void CheckpointUnreadable(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Debug, Message = "Deleted segment {Segment}: every entry acknowledged or expired")]
    public static partial void SegmentDeleted(ILogger logger, string segment);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Error, Message = "Store maintenance failed (checkpoint or expiry sweep); retrying")]
    public static partial void MaintenanceFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Warning, Message = "Could not delete segment {Segment}")]
    public static partial void SegmentDeleteFailed(ILogger logger, string segment, Exception exception);

    [LoggerMessage(EventId = 3106, Level = LogLevel.Error, Message = "Writing {Records} records to {Segment} failed")]
    public static partial void AppendFailed(ILogger logger, int records, string segment, Exception exception);
}
