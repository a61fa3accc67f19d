using Google.Protobuf;
using Partitioned.Protocol.V1;

namespace Partitioned.Proto.Tests;

/// <summary>The .proto contracts compile on their own and their messages round-trip; the stubs exist for both sides.</summary>
public sealed class ProtoContractTests
{
    [Fact]
    public void DirectoryEvent_RoundTrips_AndResumeIsOptional()
    {
        var change = new DirectoryEvent
        {
            Change = new PartitionChange
            {
                Version = 7,
                Kind = ChangeKind.Replaced,
                Entry = new PartitionEntry { Partition = 1, State = PartitionState.Serving, Attempt = 2, Endpoint = "http://127.0.0.1:5001/", SinceUnixMs = 1 },
            },
        };
        DirectoryEvent.Parser.ParseFrom(change.ToByteArray()).Should().Be(change);

        var first = new WatchRequest();
        first.HasResumeAfterVersion.Should().BeFalse("a first watch sends no version, and version 0 is a valid one to resume after");
        WatchRequest.Parser.ParseFrom(new WatchRequest { DirectoryId = "d", ResumeAfterVersion = 0 }.ToByteArray()).HasResumeAfterVersion.Should().BeTrue();
    }

    [Fact]
    public void HeadNodeMessages_RoundTrip()
    {
        var up = new PartitionMessage { Hello = new Hello { Service = "hello", Partition = 0, Attempt = 1 }, Credit = 16 };
        up.Replies.Add(new Reply { Id = "h.1", Status = 200, Body = ByteString.CopyFromUtf8("""{"fooLength":3}""") });
        PartitionMessage.Parser.ParseFrom(up.ToByteArray()).Should().Be(up);
    }

    [Fact]
    public void Stubs_ExistForClientsAndServers()
    {
        typeof(PartitionDirectory.PartitionDirectoryClient).Should().NotBeNull();
        typeof(PartitionDirectory.PartitionDirectoryBase).Should().NotBeNull();
        typeof(HeadNode.HeadNodeClient).Should().NotBeNull();
        typeof(HeadNode.HeadNodeBase).Should().NotBeNull();
    }
}
