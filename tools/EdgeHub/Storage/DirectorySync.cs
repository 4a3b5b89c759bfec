using System.Runtime.InteropServices;

namespace EdgeHub.Storage;

/// <summary>
/// fsync of a folder, so that a newly created segment or a renamed checkpoint file is itself durable (POSIX leaves a new
/// directory entry volatile until the folder is synced). .NET has no API for it, hence libc. No-op off Linux/macOS.
/// </summary>
internal static class DirectorySync
{
    private const int ReadOnly = 0; // O_RDONLY
    private const int Einval = 22;
    private const int Enotsup = 95; // Linux EOPNOTSUPP

    public static void Flush(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return;
        }

        // A NUL-terminated UTF-8 byte array keeps the signature blittable (no string marshalling, no unsafe code).
        byte[] path = new byte[System.Text.Encoding.UTF8.GetByteCount(directory) + 1];
        System.Text.Encoding.UTF8.GetBytes(directory, path);
        int fd = NativeMethods.Open(path, ReadOnly);
        if (fd < 0)
        {
            throw new IOException($"Could not open {directory} to sync it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (NativeMethods.Fsync(fd) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();

                // EINVAL / ENOTSUP: the file system does not sync folders (some FUSE and network mounts); nothing more can be done.
                if (errno is not (Einval or Enotsup))
                {
                    throw new IOException($"fsync of {directory} failed (errno {errno}).");
                }
            }
        }
        finally
        {
            _ = NativeMethods.Close(fd);
        }
    }

    // DllImport rather than LibraryImport: the generated LibraryImport stubs need AllowUnsafeBlocks in the project.
    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Open(byte[] path, int flags);

        [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Fsync(int fd);

        [DllImport("libc", EntryPoint = "close", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Close(int fd);
    }
}
