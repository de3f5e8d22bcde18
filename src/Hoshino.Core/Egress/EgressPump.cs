using System.Buffers;
using System.Net;
using Hoshino.Diagnostics;
using Hoshino.Packets;
using Hoshino.Store;
using Hoshino.Tunnel;
using Microsoft.Extensions.Logging;

namespace Hoshino.Egress;

/// <summary>
/// Moves packets from the TUN device to the store. A dedicated thread reads the device and queues
/// each packet for its destination; per destination, one PUT is in flight at a time and whatever
/// arrives meanwhile goes out together in the next one (natural batching: no timer, no added delay
/// when idle, large bundles under load). Queues are bounded; when full, packets drop and are counted,
/// and the reader never blocks.
/// </summary>
public sealed partial class EgressPump : IDisposable
{
    private readonly ITunDevice _tun;
    private readonly IPacketStore _store;
    private readonly Address16 _self;
    private readonly ulong _networkHigh;
    private readonly HoshinoMetrics _metrics;
    private readonly MonotonicUlid _ids;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly EgressOptions _options;
    private readonly LogLimiter _failureLog;
    private readonly Lock _lock = new();
    private readonly Dictionary<Address16, Destination> _destinations = [];
    /// <summary>When the last bundle to each destination was stored; entries older than <see cref="EgressOptions.RingAfter"/> mean nothing.</summary>
    private readonly Dictionary<Address16, long> _lastStored = [];
    private readonly TaskCompletionSource _ringsDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _ringsInFlight;
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _queuedBytes;
    private int _queuedPackets;
    private int _activeSenders;
    private bool _stopping;

    /// <summary>Called after each packet is queued, so ingress can expect a reply (see <see cref="Ingress.Heartbeat.Poke"/>).</summary>
    private readonly Action<Address16>? _packetQueued;

    // packetQueued: called on the reader thread after each packet is queued, with its destination; the node wires it to
    // ingress's Poke (HoshinoNode). Must be cheap.
    public EgressPump(ITunDevice tun, IPacketStore store, IPAddress self, IPNetwork network, HoshinoMetrics metrics,
        MonotonicUlid ids, TimeProvider time, ILogger<EgressPump> logger, EgressOptions options, Action<Address16>? packetQueued = null)
    {
        _packetQueued = packetQueued;
        _tun = tun;
        _store = store;
        _self = Address16.From(self);
        _networkHigh = Address16.From(network.BaseAddress).High;
        _metrics = metrics;
        _ids = ids;
        _time = time;
        _logger = logger;
        _options = options;
        _failureLog = new LogLimiter(time, TimeSpan.FromSeconds(10));
        metrics.ObserveEgressQueue(() => Volatile.Read(ref _queuedPackets));
    }

    /// <summary>
    /// Runs until <paramref name="stoppingToken"/> fires, then stops reading the device, gives queued
    /// packets up to <see cref="EgressOptions.FlushTimeout"/> to reach the store, and returns.
    /// Throws if the device reader fails (the host then stops with a non-zero exit).
    /// </summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var readerDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = new Thread(() => ReadLoop(readerDone)) { IsBackground = true, Name = "hoshino-tun-read" };
        reader.Start();
        Log.Started(_logger, _tun.Name);
        try
        {
            await readerDone.Task.WaitAsync(stoppingToken);
            // The reader ended without being asked to: the device is gone.
            throw new IOException($"reading {_tun.Name} stopped unexpectedly");
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Normal shutdown.
        }
        finally
        {
            _tun.Close();
            await readerDone.Task.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await FlushAsync();
            Log.Stopped(_logger);
        }
    }

    private async Task FlushAsync()
    {
        lock (_lock)
        {
            _stopping = true;
            if (_activeSenders == 0)
            {
                _drained.TrySetResult();
            }
            if (_ringsInFlight == 0)
            {
                _ringsDone.TrySetResult();
            }
        }
        int queued = Volatile.Read(ref _queuedPackets);
        try
        {
            await _drained.Task.WaitAsync(_options.FlushTimeout, _time);
            if (queued > 0)
            {
                Log.Flushed(_logger, queued);
            }
        }
        catch (TimeoutException)
        {
            await _abort.CancelAsync();
            int left = Volatile.Read(ref _queuedPackets);
            Log.FlushTimedOut(_logger, _options.FlushTimeout, left);
            await _drained.Task.WaitAsync(TimeSpan.FromSeconds(5), _time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        // No ring starts once stopping; let those under way finish (each is one small PUT).
        await _ringsDone.Task.WaitAsync(_options.FlushTimeout, _time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (!_ringsDone.Task.IsCompleted)
        {
            await _abort.CancelAsync();
            await _ringsDone.Task.WaitAsync(TimeSpan.FromSeconds(5), _time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private void ReadLoop(TaskCompletionSource done)
    {
        byte[] buffer = new byte[Math.Max(_tun.Mtu, Ipv6Packet.HeaderLength)];
        try
        {
            while (true)
            {
                int length = _tun.Read(buffer);
                if (length == 0)
                {
                    break;
                }
                Accept(buffer.AsSpan(0, length));
            }
            done.TrySetResult();
        }
        catch (Exception ex)
        {
            Log.ReaderFailed(_logger, _tun.Name, ex);
            done.TrySetException(ex);
        }
    }

    /// <summary>Classifies one packet from the kernel and queues it for its destination. Never blocks on I/O.</summary>
    internal void Accept(ReadOnlySpan<byte> packet)
    {
        if (!Ipv6Packet.TryParse(packet, out Ipv6Packet ip))
        {
            _metrics.PacketIgnored(IgnoreReason.NotIpv6);
            return;
        }
        var destination = Address16.From(ip.Destination);
        if (destination.High != _networkHigh || destination == _self)
        {
            // Multicast (MLD, neighbour discovery), link-local, or another network: not for the tunnel.
            _metrics.PacketIgnored(IgnoreReason.NotInNetwork);
            return;
        }
        if (!_self.Equals(ip.Source))
        {
            _metrics.PacketIgnored(IgnoreReason.NotFromSelf);
            return;
        }
        if (!_options.AllowEncapsulated && ip.CarriesTunnel())
        {
            _metrics.PacketIgnored(IgnoreReason.Encapsulated); // the receiver would reject the whole bundle
            return;
        }

        byte[] copy = ArrayPool<byte>.Shared.Rent(packet.Length);
        packet.CopyTo(copy);
        var queued = new QueuedPacket(copy, packet.Length, _time.GetTimestamp());
        bool startSender = false;
        Destination? state;
        lock (_lock)
        {
            _destinations.TryGetValue(destination, out state);
            if (_stopping || (state?.QueuedBytes ?? 0) + packet.Length > _options.MaxQueuedBytesPerDestination
                || _queuedBytes + packet.Length > _options.MaxQueuedBytes)
            {
                state = null;
            }
            else
            {
                if (state is null)
                {
                    state = new Destination(destination);
                    _destinations.Add(destination, state);
                }
                state.Queue.Enqueue(queued);
                state.QueuedBytes += packet.Length;
                _queuedBytes += packet.Length;
                _queuedPackets++;
                if (!state.Sending)
                {
                    state.Sending = true;
                    _activeSenders++;
                    startSender = true;
                }
            }
        }
        if (state is null)
        {
            ArrayPool<byte>.Shared.Return(copy);
            _metrics.PacketsDropped(Direction.Egress, _stopping ? DropReason.Shutdown : DropReason.QueueFull);
            return;
        }
        if (startSender)
        {
            _ = Task.Run(() => SendLoopAsync(state));
        }
        _packetQueued?.Invoke(destination);
    }

    /// <summary>Sends bundles for one destination until its queue is empty. At most one runs per destination.</summary>
    private async Task SendLoopAsync(Destination destination)
    {
        var batch = new List<QueuedPacket>();
        try
        {
            while (TakeBatch(destination, batch))
            {
                await SendBundleAsync(destination.Address, batch);
                foreach (QueuedPacket p in batch)
                {
                    ArrayPool<byte>.Shared.Return(p.Buffer);
                }
                batch.Clear();
            }
        }
        catch (Exception ex)
        {
            // Not expected: SendBundleAsync handles store errors. Drop what was taken and keep the node up.
            Log.SenderFailed(_logger, destination.Address.ToString(), ex);
            _metrics.PacketsDropped(Direction.Egress, DropReason.StoreRejected, batch.Count);
            lock (_lock)
            {
                destination.Sending = false;
                FinishSender(destination);
            }
        }
    }

    /// <summary>Moves up to one bundle's worth of packets into <paramref name="batch"/>; false (and the sender retires) when none wait.</summary>
    private bool TakeBatch(Destination destination, List<QueuedPacket> batch)
    {
        lock (_lock)
        {
            int bytes = 0;
            while (destination.Queue.TryPeek(out QueuedPacket next) && batch.Count < _options.MaxBundlePackets
                   && (batch.Count == 0 || bytes + next.Length <= _options.MaxBundleBytes))
            {
                destination.Queue.Dequeue();
                batch.Add(next);
                bytes += next.Length;
            }
            destination.QueuedBytes -= bytes;
            _queuedBytes -= bytes;
            _queuedPackets -= batch.Count;
            if (batch.Count > 0)
            {
                return true;
            }
            destination.Sending = false;
            FinishSender(destination);
            return false;
        }
    }

    private void FinishSender(Destination destination)
    {
        // Caller holds _lock.
        if (destination.Queue.Count == 0)
        {
            _destinations.Remove(destination.Address);
        }
        if (--_activeSenders == 0 && _stopping)
        {
            _drained.TrySetResult();
        }
    }

    private async Task SendBundleAsync(Address16 destination, List<QueuedPacket> batch)
    {
        int packetBytes = 0;
        foreach (QueuedPacket p in batch)
        {
            packetBytes += p.Length;
        }
        NetworkKey? seal = _options.Key;
        int length = BundleFormat.EncodedLength(batch.Count, packetBytes, seal is not null);
        byte[] body = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            int offset = BundleFormat.WriteHeader(body, seal is null ? (byte)0 : BundleFormat.FlagSealed);
            foreach (QueuedPacket p in batch)
            {
                offset += BundleFormat.WriteFrame(body.AsSpan(offset), p.Buffer.AsSpan(0, p.Length));
            }
            string key = new ObjectKey(destination, _self, _ids.Next()).ToString();
            if (seal is not null)
            {
                BundleFormat.Seal(body.AsSpan(0, length), key, seal); // in place: nonce, ciphertext, tag
            }
            if (await PutWithRetryAsync(key, body.AsMemory(0, length), batch))
            {
                _metrics.PacketsMoved(Direction.Egress, batch.Count, packetBytes);
                _metrics.BundleMade(Direction.Egress, batch.Count, length);
                Log.BundleUploaded(_logger, key, batch.Count, length);
                if (TryStartRing(destination))
                {
                    _ = RingAsync(destination);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
        }
    }

    /// <summary>PUTs with exponential backoff and jitter while the oldest packet is young enough to matter.</summary>
    private async Task<bool> PutWithRetryAsync(string key, ReadOnlyMemory<byte> body, List<QueuedPacket> batch)
    {
        var backoff = new Backoff(_options.RetryMinDelay, _options.RetryMaxDelay, factor: 2, jitter: 0.25);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await _store.PutAsync(key, body, _abort.Token);
                return true;
            }
            catch (OperationCanceledException) when (_abort.IsCancellationRequested)
            {
                _metrics.PacketsDropped(Direction.Egress, DropReason.Shutdown, batch.Count);
                return false;
            }
            catch (PacketStoreException ex) when (!ex.IsTransient)
            {
                _metrics.PacketsDropped(Direction.Egress, DropReason.StoreRejected, batch.Count);
                if (_failureLog.TryEnter(out long suppressed))
                {
                    Log.UploadRejected(_logger, key, ex.Message, suppressed);
                }
                return false;
            }
            catch (Exception ex)
            {
                TimeSpan age = _time.GetElapsedTime(batch[0].Timestamp);
                TimeSpan delay = backoff.Current;
                if (age + delay > _options.MaxPacketAge)
                {
                    _metrics.PacketsDropped(Direction.Egress, DropReason.Expired, batch.Count);
                    if (_failureLog.TryEnter(out long suppressed))
                    {
                        Log.UploadExpired(_logger, key, attempt, ex.Message, suppressed);
                    }
                    return false;
                }
                if (_failureLog.TryEnter(out long held))
                {
                    Log.UploadRetry(_logger, key, attempt, delay, ex.Message, held);
                }
                _metrics.StoreRetry(StoreOperation.Put);
                try
                {
                    await Task.Delay(backoff.Next(), _time, _abort.Token);
                }
                catch (OperationCanceledException)
                {
                    _metrics.PacketsDropped(Direction.Egress, DropReason.Shutdown, batch.Count);
                    return false;
                }
            }
        }
    }

    /// <summary>
    /// Whether the bundle just stored for <paramref name="destination"/> must ring its doorbell: yes
    /// unless another bundle reached it less than <see cref="EgressOptions.RingAfter"/> before. A
    /// receiver keeps listing for its linger (2 s) after it finds work, so a bundle that follows
    /// another within <c>RingAfter</c> (1 s) is found without a ring; one after a quiet spell may
    /// meet a receiver that only HEADs its doorbell. Deciding after the PUT, not before it, keeps a
    /// slow PUT from slipping past the receiver's linger unrung.
    /// </summary>
    private bool TryStartRing(Address16 destination)
    {
        long now = _time.GetTimestamp();
        lock (_lock)
        {
            bool quiet = !_lastStored.TryGetValue(destination, out long last) || _time.GetElapsedTime(last, now) > _options.RingAfter;
            _lastStored[destination] = now;
            if (_lastStored.Count > 1024)
            {
                // Forgetting an entry older than RingAfter changes no decision.
                foreach ((Address16 address, long stored) in _lastStored)
                {
                    if (_time.GetElapsedTime(stored, now) > _options.RingAfter)
                    {
                        _lastStored.Remove(address);
                    }
                }
            }
            if (!quiet || _stopping)
            {
                return false; // at shutdown the receiver's next full LIST (--list-max) finds the bundle
            }
            _ringsInFlight++;
            return true;
        }
    }

    /// <summary>
    /// PUTs the destination's doorbell with a fresh body (its tag must change), after the bundle is
    /// stored, so a receiver woken by it finds the bundle. A few quick retries; if it still fails,
    /// the next bundle rings again and the receiver's periodic full LIST finds this one.
    /// </summary>
    private async Task RingAsync(Address16 destination)
    {
        string key = ObjectKey.DoorbellOf(destination);
        byte[] body = ObjectKey.DoorbellBody(_ids.Next());
        bool rung = false, stopped = false;
        try
        {
            // No ceiling: three attempts wait twice at most.
            var backoff = new Backoff(_options.RetryMinDelay, TimeSpan.MaxValue, factor: 2, jitter: 0.25);
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    await _store.PutAsync(key, body, _abort.Token);
                    rung = true;
                    _metrics.DoorbellRung();
                    break;
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !_abort.IsCancellationRequested)
                {
                    bool retry = attempt < 3 && ex is not PacketStoreException { IsTransient: false };
                    if (!retry)
                    {
                        if (_failureLog.TryEnter(out long suppressed))
                        {
                            Log.RingFailed(_logger, key, ex.Message, suppressed);
                        }
                        break;
                    }
                    _metrics.StoreRetry(StoreOperation.Put);
                    await Task.Delay(backoff.Next(), _time, _abort.Token);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            stopped = true; // shutdown (or the pump disposed without RunAsync's drain, as in tests)
        }
        finally
        {
            lock (_lock)
            {
                if (!rung)
                {
                    _lastStored.Remove(destination); // so the next bundle rings again
                    if (!stopped)
                    {
                        _metrics.DoorbellFailed();
                    }
                }
                if (--_ringsInFlight == 0 && _stopping)
                {
                    _ringsDone.TrySetResult();
                }
            }
        }
    }

    public void Dispose() => _abort.Dispose();

    private readonly record struct QueuedPacket(byte[] Buffer, int Length, long Timestamp);

    private sealed class Destination(Address16 address)
    {
        public Address16 Address { get; } = address;
        public Queue<QueuedPacket> Queue { get; } = new();
        public int QueuedBytes { get; set; }
        public bool Sending { get; set; }
    }
}
