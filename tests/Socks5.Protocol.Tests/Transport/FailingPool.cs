using System.Buffers;

namespace Socks5.Protocol.Tests.Transport;

/// <summary>
/// A pool that reuses its arrays (as ArrayPool.Shared does), fails every n-th rent larger than the relay's first
/// buffer with <see cref="OutOfMemoryException"/>, and records any array returned that is not out.
/// </summary>
internal sealed class FailingPool : ArrayPool<byte>
{
    private readonly ArrayPool<byte> _inner = ArrayPool<byte>.Create(4 * 1024 * 1024, 64);
    private readonly HashSet<byte[]> _out = new(ReferenceEqualityComparer.Instance);
    private readonly int _failEvery;
    private int _largeRents;

    public FailingPool(int failEvery) => _failEvery = failEvery;

    public List<string> Violations { get; } = new();

    public int Failures { get; private set; }

    public int Outstanding
    {
        get
        {
            lock (_out)
            {
                return _out.Count;
            }
        }
    }

    public override byte[] Rent(int minimumLength)
    {
        lock (_out)
        {
            if (minimumLength > 16 * 1024 && ++_largeRents % _failEvery == 0)
            {
                Failures++;
                throw new OutOfMemoryException("injected: the pool could not rent " + minimumLength + " bytes");
            }

            byte[] array = _inner.Rent(minimumLength);
            if (!_out.Add(array))
            {
                Violations.Add("an array was handed out while another renter still held it");
            }

            return array;
        }
    }

    public override void Return(byte[] array, bool clearArray = false)
    {
        lock (_out)
        {
            if (!_out.Remove(array))
            {
                Violations.Add("an array was returned that was not out (returned twice)");
            }

            _inner.Return(array, clearArray);
        }
    }
}
