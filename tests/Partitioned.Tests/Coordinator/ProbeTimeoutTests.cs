using Partitioned.Coordination;

namespace Partitioned.Tests.Coordinator;

public sealed class ProbeTimeoutTests
{
    [Fact]
    public void Next_BeforeAnyAnswer_IsTheInitialTimeout() =>
        new ProbeTimeout(null).Next.Should().Be(ProbeTimeout.Initial);

    [Fact]
    public void Next_FastSteadyRoundTrips_IsTheFloor()
    {
        var timeout = new ProbeTimeout(null);
        for (var i = 0; i < 20; i++)
        {
            timeout.Answered(TimeSpan.FromMilliseconds(2));
        }

        timeout.Next.Should().Be(ProbeTimeout.Floor);
    }

    [Fact]
    public void Next_SlowVaryingRoundTrips_GrowsWithTheirVariation()
    {
        var timeout = new ProbeTimeout(null);
        for (var i = 0; i < 40; i++)
        {
            timeout.Answered(TimeSpan.FromMilliseconds(i % 2 == 0 ? 100 : 500));
        }

        timeout.Next.Should().BeGreaterThan(TimeSpan.FromMilliseconds(700)).And.BeLessThan(ProbeTimeout.Cap);
    }

    [Fact]
    public void Next_AfterFailures_BacksOffUpToTheCap_AndAnAnswerResetsIt()
    {
        var timeout = new ProbeTimeout(null);
        timeout.Answered(TimeSpan.FromMilliseconds(1));
        timeout.Failed();
        timeout.Next.Should().Be(ProbeTimeout.Floor * 1.25);
        timeout.Failed();
        timeout.Next.Should().Be(ProbeTimeout.Floor * 1.5625);
        for (var i = 0; i < 20; i++)
        {
            timeout.Failed();
        }

        timeout.Next.Should().Be(ProbeTimeout.Cap);
        timeout.Answered(TimeSpan.FromMilliseconds(1));
        timeout.Next.Should().Be(ProbeTimeout.Floor);
    }

    [Fact]
    public void Next_Fixed_IsAlwaysTheFixedValue()
    {
        var timeout = new ProbeTimeout(TimeSpan.FromSeconds(7));
        timeout.Failed();
        timeout.Answered(TimeSpan.FromMilliseconds(1));
        timeout.Next.Should().Be(TimeSpan.FromSeconds(7));
    }
}
