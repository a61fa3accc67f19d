using System.Collections.Concurrent;
using Partitioned.Serving;

namespace Partitioned.Tests.Serving;

public sealed class HeadNodeOutboxTests
{
    private static readonly Uri s_ingress = new("http://127.0.0.1:1/v1/serving/replies");

    [Fact]
    public void AnswersBetweenPulls_RideOnTheNextPull()
    {
        var direct = new RecordingChannel();
        var outbox = new HeadNodeOutbox(direct);

        outbox.Send(s_ingress, Reply("a"));
        outbox.Send(s_ingress, Reply("b"));
        var carried = outbox.BeginPull();

        carried.Select(r => r.Id).Should().Equal("a", "b");
        direct.Sent.Should().BeEmpty();
    }

    [Fact]
    public void AnswersWhileAPullIsUnderWay_GoOutAtOnce()
    {
        var direct = new RecordingChannel();
        var outbox = new HeadNodeOutbox(direct);
        outbox.BeginPull();

        outbox.Send(s_ingress, Reply("c"));
        outbox.EndPull();
        outbox.Send(s_ingress, Reply("d"));

        direct.Sent.Select(r => r.Id).Should().Equal("c");
        outbox.BeginPull().Select(r => r.Id).Should().Equal("d");
    }

    [Fact]
    public void Close_FlushesWaitingAnswers_AndSendsLaterOnesDirectly()
    {
        var direct = new RecordingChannel();
        var outbox = new HeadNodeOutbox(direct);
        outbox.Send(s_ingress, Reply("e"));

        outbox.Close();
        outbox.Send(s_ingress, Reply("f"));

        direct.Sent.Select(r => r.Id).Should().Equal("e", "f");
    }

    [Fact]
    public async Task ConcurrentAnswersAndPulls_EveryAnswerLeavesExactlyOnce()
    {
        var direct = new RecordingChannel();
        var outbox = new HeadNodeOutbox(direct);
        var carried = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var puller = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (var reply in outbox.BeginPull())
                {
                    carried.Add(reply.Id);
                }

                outbox.EndPull();
            }
        });

        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 5000; i++)
            {
                outbox.Send(s_ingress, Reply($"{t}.{i}"));
            }
        })));
        await stop.CancelAsync();
        await puller;
        outbox.Close();

        var all = carried.Concat(direct.Sent.Select(r => r.Id)).ToList();
        all.Should().HaveCount(20_000).And.OnlyHaveUniqueItems();
    }

    private static WireReply Reply(string id) => new(id, 200, "{}"u8.ToArray());

    private sealed class RecordingChannel : IReplyChannel
    {
        private readonly ConcurrentQueue<WireReply> _sent = new();

        public IReadOnlyCollection<WireReply> Sent => _sent;

        public void Send(Uri replyTo, WireReply reply) => _sent.Enqueue(reply);
    }
}
