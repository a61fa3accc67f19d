using Microsoft.Extensions.Time.Testing;
using Partitioned.Clustering;

namespace Partitioned.Tests.Autoscaling;

/// <summary>The autoscaling decision on a fake clock: windows in a row, hysteresis, cooldown, bounds, and no thrash under a square wave.</summary>
public sealed class AutoscalePolicyTests
{
    private static readonly AutoscaleOptions s_options = new()
    {
        MinReplicas = 1,
        MaxReplicas = 4,
        TargetInFlight = 4,
        Window = TimeSpan.FromSeconds(10),
        ScaleUpWindows = 2,
        ScaleDownWindows = 6,
        Cooldown = TimeSpan.FromSeconds(30),
    };

    [Fact]
    public void Decide_TwoWindowsAboveTarget_ScalesUpOnlyThatPartition()
    {
        var (time, policy) = Create(partitions: 2);

        // Partition 0 carries 10 in flight on 1 replica (target 4); partition 1 carries 1.
        var first = RunWindow(time, policy, (0, 10, 1), (1, 1, 1));
        var second = RunWindow(time, policy, (0, 10, 1), (1, 1, 1));

        first.Should().Equal(AutoscaleStep.None, AutoscaleStep.None);
        second.Should().Equal(AutoscaleStep.Up, AutoscaleStep.None);
    }

    [Fact]
    public void Decide_OneWindowAboveThenOneBelow_DoesNotScale()
    {
        var (time, policy) = Create(partitions: 1);

        RunWindow(time, policy, (0, 10, 1)).Should().Equal(AutoscaleStep.None);
        RunWindow(time, policy, (0, 2, 1)).Should().Equal(AutoscaleStep.None);
        RunWindow(time, policy, (0, 10, 1)).Should().Equal(new[] { AutoscaleStep.None }, "the windows above must be in a row");
    }

    [Fact]
    public void Decide_LoadBetweenTheBands_NeverScales()
    {
        // 2 replicas carrying 7: 3.5 each is under the target of 4 (no scale-up), but 7 on one replica would be over it
        // (no scale-down). The band between is the hysteresis.
        var (time, policy) = Create(partitions: 1);
        for (var window = 0; window < 30; window++)
        {
            RunWindow(time, policy, (0, 7, 2)).Should().Equal(AutoscaleStep.None);
        }
    }

    [Fact]
    public void Decide_LongWindowBelow_ScalesDownAfterScaleDownWindows()
    {
        var (time, policy) = Create(partitions: 1);
        var steps = Enumerable.Range(0, 6).Select(_ => RunWindow(time, policy, (0, 2, 2))[0]).ToList();

        steps.Should().Equal(AutoscaleStep.None, AutoscaleStep.None, AutoscaleStep.None, AutoscaleStep.None, AutoscaleStep.None, AutoscaleStep.Down);
    }

    [Fact]
    public void Decide_BelowButAReplicaIsBeingRelaunched_DoesNotScaleDown()
    {
        var (time, policy) = Create(partitions: 1);
        for (var window = 0; window < 10; window++)
        {
            RunWindow(time, policy, (0, 0, 2, 3)).Should().Equal(new[] { AutoscaleStep.None }, "one of the 3 replicas in use is not serving");
        }
    }

    [Fact]
    public void Decide_AfterAStep_WaitsForTheCooldown()
    {
        var (time, policy) = Create(partitions: 1);
        RunWindow(time, policy, (0, 20, 1));
        RunWindow(time, policy, (0, 20, 1)).Should().Equal(AutoscaleStep.Up);
        policy.Stepped(0);

        // Still far above the target with 2 replicas, but the cooldown (30 s = 3 windows) holds the next step back.
        var after = Enumerable.Range(0, 4).Select(_ => RunWindow(time, policy, (0, 20, 2))[0]).ToList();

        after.Should().Equal(AutoscaleStep.None, AutoscaleStep.None, AutoscaleStep.Up, AutoscaleStep.Up);
    }

    [Fact]
    public void Decide_AtTheBounds_NeverStepsPastThem()
    {
        var (time, policy) = Create(partitions: 1);
        for (var window = 0; window < 20; window++)
        {
            RunWindow(time, policy, (0, 1000, 4)).Should().Equal(new[] { AutoscaleStep.None }, "4 is MaxReplicas");
        }

        for (var window = 0; window < 20; window++)
        {
            RunWindow(time, policy, (0, 0, 1)).Should().Equal(new[] { AutoscaleStep.None }, "1 is MinReplicas");
        }
    }

    [Fact]
    public void Decide_WindowWithoutSamples_StartsTheCountOver()
    {
        var (time, policy) = Create(partitions: 1);
        RunWindow(time, policy, (0, 10, 1));
        time.Advance(s_options.Window);
        policy.Decide(0, 1, 1).Should().Be(AutoscaleStep.None, "no replica answered in that window");
        RunWindow(time, policy, (0, 10, 1)).Should().Equal(AutoscaleStep.None);
        RunWindow(time, policy, (0, 10, 1)).Should().Equal(AutoscaleStep.Up);
    }

    [Fact]
    public void Decide_SquareWave_AtMostOneStepUpAndOneDownPerPeriod()
    {
        // A 60 s square wave for 10 minutes: 30 s at 12 in flight, 30 s at 1. The replicas the policy decides on are
        // applied at once (the steps take no time here), so this is the decision logic alone.
        var (time, policy) = Create(partitions: 1);
        var replicas = 1;
        var ups = new int[10];
        var downs = new int[10];
        for (var second = 0; second < 600; second++)
        {
            var period = second / 60;
            var load = second % 60 < 30 ? 12 : 1;
            policy.Observe(0, load);
            time.Advance(TimeSpan.FromSeconds(1));
            switch (policy.Decide(0, replicas, replicas))
            {
                case AutoscaleStep.Up:
                    replicas++;
                    ups[period]++;
                    policy.Stepped(0);
                    break;
                case AutoscaleStep.Down:
                    replicas--;
                    downs[period]++;
                    policy.Stepped(0);
                    break;
            }
        }

        ups.Should().OnlyContain(static n => n <= 1);
        downs.Should().OnlyContain(static n => n <= 1);
        (ups.Sum() + downs.Sum()).Should().BeLessThanOrEqualTo(4, "a load that only swings does not keep the replica count swinging");
        replicas.Should().BeInRange(1, 4);
    }

    private static (FakeTimeProvider Time, AutoscalePolicy Policy) Create(int partitions)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        return (time, new AutoscalePolicy(s_options, partitions, time));
    }

    // One window of 10 one-second samples per partition; returns each partition's decision at its end.
    private static AutoscaleStep[] RunWindow(FakeTimeProvider time, AutoscalePolicy policy, params (int Partition, double InFlight, int Serving)[] partitions) =>
        RunWindow(time, policy, [.. partitions.Select(static p => (p.Partition, p.InFlight, p.Serving, p.Serving))]);

    private static AutoscaleStep[] RunWindow(FakeTimeProvider time, AutoscalePolicy policy, params (int Partition, double InFlight, int Serving, int InUse)[] partitions)
    {
        var steps = new AutoscaleStep[partitions.Length];
        for (var second = 0; second < 10; second++)
        {
            foreach (var (partition, inFlight, _, _) in partitions)
            {
                policy.Observe(partition, inFlight);
            }

            time.Advance(TimeSpan.FromSeconds(1));
            for (var i = 0; i < partitions.Length; i++)
            {
                var step = policy.Decide(partitions[i].Partition, partitions[i].Serving, partitions[i].InUse);
                if (step != AutoscaleStep.None)
                {
                    steps[i] = step;
                }
            }
        }

        return steps;
    }
}
