namespace EdgeHub.Storage;
public sealed partial class MessageStore { public static IMessageStore Open(MessageStoreOptions o) => throw new NotImplementedException(); }
