using System.Net;
using Hoshino.Diagnostics;
using Hoshino.Packets;
using Hoshino.Store;
using Hoshino.Transport;
using Hoshino.Tunnel;
using Microsoft.Extensions.Logging;

namespace Hoshino.Egress;

/// <summary>
/// Moves packets from the TUN device to the store. A <see cref="TunReader"/> thread reads the
/// device; the <see cref="EgressFilter"/> keeps what is for the tunnel; each packet is queued for
/// its destination, where a <see cref="DestinationSender"/> decides when the next PUT starts
/// (v1: one in flight; v2: a window of them) and the <see cref="Bundler"/> and
/// <see cref="BundleUploader"/> write it. Queues are bounded: when full, packets drop and are
/// counted, and the reader never blocks. On stop, what is queued gets up to
/// <see cref="EgressOptions.FlushTimeout"/> to reach the store.
/// </summary>
public sealed partial class EgressPump : IDisposable
{
    private readonly ITunDevice _tun;
    private readonly Address16 _self;
    private readonly EgressFilter _filter;
    private readonly HoshinoMetrics _metrics;
    private readonly MonotonicUlid _ids;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly EgressOptions _options;
    private readonly SendWindowOptions _windowOptions;
    private readonly BundleUploader _uploader;
    /// <summary>Rings destinations' doorbells (ADR 0007); the same type an idle receiver checks its own with.</summary>
    private readonly Doorbell _doorbell;
    private readonly Lock _lock = new();
    /// <summary>Destinations with packets queued or PUTs in flight; a destination with neither has no entry.</summary>
    private readonly Dictionary<Address16, DestinationSender> _senders = [];
    /// <summary>v2: the streams of destinations that have gone quiet.</summary>
    private readonly StreamTable _streams;
    /// <summary>v1: when each destination's doorbell rings.</summary>
    private readonly RingRule _ringRule;
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _ringsDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _ringsInFlight;
    private long _queuedBytes;
    private int _queuedPackets;
    private int _putsInFlight;
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
        _self = Address16.From(self);
        _filter = new EgressFilter(_self, Address16.From(network.BaseAddress).High, options.AllowEncapsulated);
        _metrics = metrics;
        _ids = ids;
        _time = time;
        _logger = logger;
        _options = options;
        _windowOptions = new SendWindowOptions { RingAfter = options.RingAfter };
        _uploader = new BundleUploader(store, metrics, time, logger, options);
        _doorbell = new Doorbell(store, _self, time, metrics, logger);
        _streams = new StreamTable(options.MaxIdleStreams, options.StreamIdleLifetime);
        _ringRule = new RingRule(options.RingAfter);
        metrics.ObserveEgressQueue(() => Volatile.Read(ref _queuedPackets));
        metrics.ObserveEgressPutsInFlight(() => Volatile.Read(ref _putsInFlight));
    }

    /// <summary>Destinations with something queued or in flight (tests: no state is kept for dropped packets).</summary>
    internal int ActiveDestinations
    {
        get
        {
            lock (_lock)
            {
                return _senders.Count;
            }
        }
    }

    /// <summary>
    /// Runs until <paramref name="stoppingToken"/> fires, then stops reading the device, gives queued
    /// packets up to <see cref="EgressOptions.FlushTimeout"/> to reach the store, and returns.
    /// Throws if the device reader fails (the host then stops with a non-zero exit).
    /// </summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var reader = new TunReader(_tun, Accept, _logger);
        reader.Start();
        Log.Started(_logger, _tun.Name, _options.WireFormat is WireFormat.V2 ? "v2" : "v1");
        try
        {
            await reader.Completion.WaitAsync(stoppingToken);
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
            await reader.Completion.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await FlushAsync();
            Log.Stopped(_logger);
        }
    }

    /// <summary>Classifies one packet from the kernel and queues it for its destination. Never blocks on I/O.</summary>
    internal void Accept(ReadOnlySpan<byte> packet)
    {
        if (!_filter.TryAccept(packet, out Address16 destination, out IgnoreReason reason))
        {
            _metrics.PacketIgnored(reason);
            return;
        }
        var queued = QueuedPacket.CopyOf(packet, _time.GetTimestamp());
        bool accepted, stopping;
        lock (_lock)
        {
            stopping = _stopping;
            _senders.TryGetValue(destination, out DestinationSender? sender);
            accepted = !stopping && (sender?.Queue.Bytes ?? 0) + packet.Length <= _options.MaxQueuedBytesPerDestination
                && _queuedBytes + packet.Length <= _options.MaxQueuedBytes;
            if (accepted)
            {
                sender ??= AddSender(destination);
                sender.Queue.Enqueue(queued);
                _queuedBytes += packet.Length;
                _queuedPackets++;
                StartPuts(sender);
            }
        }
        if (!accepted)
        {
            queued.Return();
            _metrics.PacketsDropped(Direction.Egress, stopping ? DropReason.Shutdown : DropReason.QueueFull);
            return;
        }
        _packetQueued?.Invoke(destination);
    }

    /// <summary>A sender for a destination with nothing under way: v2 continues its parked stream, or opens a new epoch. Caller holds the lock.</summary>
    private DestinationSender AddSender(Address16 destination)
    {
        SendWindow? window = null;
        if (_options.WireFormat is WireFormat.V2)
        {
            window = _streams.Take(destination, _time.GetUtcNow());
            if (window is null)
            {
                window = new SendWindow(_ids.Next(), _windowOptions);
                Log.StreamStarted(_logger, destination.ToString(), window.Epoch.ToString());
            }
        }
        var sender = new DestinationSender(destination, _self, _ids.Next, window, _windowOptions);
        _senders.Add(destination, sender);
        return sender;
    }

    /// <summary>Starts every PUT the sender may start now. Caller holds the lock.</summary>
    private void StartPuts(DestinationSender sender)
    {
        while (sender.MayStart)
        {
            var bundle = new List<QueuedPacket>();
            long queuedBefore = sender.Queue.Bytes;
            OutboundObject sent = sender.Start(_time.GetUtcNow(), bundle, _options.MaxBundlePackets, _options.MaxBundleBytes, out bool newEpoch);
            if (newEpoch)
            {
                Log.StreamStarted(_logger, sender.Destination.ToString(), sender.Window!.Epoch.ToString());
            }
            _queuedBytes -= queuedBefore - sender.Queue.Bytes;
            _queuedPackets -= bundle.Count;
            _putsInFlight++;
            _metrics.EgressPutStarted(sender.InFlight);
            _ = Task.Run(() => SendAsync(sender, sent, bundle));
        }
    }

    private async Task SendAsync(DestinationSender sender, OutboundObject sent, List<QueuedPacket> bundle)
    {
        PutOutcome outcome = PutOutcome.Rejected;
        try
        {
            using EncodedBundle body = Bundler.Encode(bundle, sent.Key, _options.Key);
            outcome = await _uploader.PutAsync(sent.Key, body.Body, bundle.Count, bundle[0].Timestamp,
                throttled => AttemptFailed(sender, sent, throttled), _abort.Token);
            if (outcome is PutOutcome.Stored)
            {
                _metrics.PacketsMoved(Direction.Egress, bundle.Count, body.PacketBytes);
                _metrics.BundleMade(Direction.Egress, bundle.Count, body.Body.Length);
            }
        }
        catch (Exception ex)
        {
            // Not expected: the uploader handles store errors. Drop the bundle and keep the node up.
            Log.SenderFailed(_logger, sender.Destination.ToString(), ex);
            _metrics.PacketsDropped(Direction.Egress, DropReason.StoreRejected, bundle.Count);
        }
        finally
        {
            QueuedPacket.ReturnAll(bundle);
            Completed(sender, sent, outcome);
        }
    }

    private void AttemptFailed(DestinationSender sender, OutboundObject sent, bool throttled)
    {
        lock (_lock)
        {
            sender.AttemptFailed(sent, throttled, _time.GetUtcNow());
        }
    }

    /// <summary>A PUT ended: account for it, ring if due, start what may start, and retire an idle sender.</summary>
    private void Completed(DestinationSender sender, OutboundObject sent, PutOutcome outcome)
    {
        bool ring = false;
        lock (_lock)
        {
            DateTimeOffset now = _time.GetUtcNow();
            _putsInFlight--;
            if (outcome is PutOutcome.Stored)
            {
                bool windowRing = sender.Stored(sent, now);
                ring = sender.Window is null ? _ringRule.Stored(sender.Destination, now) : windowRing;
            }
            else
            {
                sender.GaveUp(sent, now);
                if (sender.Window is not null)
                {
                    _metrics.StreamHoleLeft();
                }
            }
            // At shutdown no ring starts: the receiver's next full LIST (--list-max) finds the bundle.
            ring &= !_stopping;
            if (ring)
            {
                _ringsInFlight++;
            }
            StartPuts(sender);
            if (sender.IsIdle)
            {
                Retire(sender, now);
            }
        }
        if (ring)
        {
            _ = RingAsync(sender.Destination, sender.Window);
        }
    }

    /// <summary>The sender has nothing queued or in flight: drop it, parking its v2 stream. Caller holds the lock.</summary>
    private void Retire(DestinationSender sender, DateTimeOffset now)
    {
        _senders.Remove(sender.Destination);
        if (sender.Window is { } window)
        {
            _streams.Park(sender.Destination, window, now);
        }
        if (_senders.Count == 0 && _stopping)
        {
            _drained.TrySetResult();
        }
    }

    /// <summary>Rings after a stored bundle; if the ring fails, the destination's next bundle rings again.</summary>
    private async Task RingAsync(Address16 destination, SendWindow? window)
    {
        bool rung = false;
        try
        {
            rung = await _doorbell.RingAsync(destination, _options.RetryMinDelay, _abort.Token);
        }
        catch (ObjectDisposedException)
        {
            // The pump was disposed without RunAsync's drain (tests).
        }
        finally
        {
            lock (_lock)
            {
                if (!rung)
                {
                    if (window is null)
                    {
                        _ringRule.RingFailed(destination);
                    }
                    else
                    {
                        window.RingFailed();
                    }
                }
                if (--_ringsInFlight == 0 && _stopping)
                {
                    _ringsDone.TrySetResult();
                }
            }
        }
    }

    private async Task FlushAsync()
    {
        lock (_lock)
        {
            _stopping = true;
            if (_senders.Count == 0)
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

    public void Dispose() => _abort.Dispose();
}
