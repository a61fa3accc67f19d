namespace Partitioned.Testing;

/// <summary>A row of the Parquet tests: every common column kind, one of them nullable.</summary>
public sealed record SensorReading(long Id, string Sensor, double Value, int? Quality, DateTime Time, bool Valid)
{
    public static readonly DateTime Epoch = new(2024, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);

    /// <summary>Row <paramref name="id"/> of the generated readings: a thousand sensors, every seventh quality missing.</summary>
    public static SensorReading Generate(long id) =>
        new(id, $"sensor-{id % 1000:D4}", id * 0.5, id % 7 == 0 ? null : (int)(id % 100), Epoch.AddSeconds(id), id % 3 != 0);

    /// <summary>What a <see cref="ReadingsServer"/> sums over readings 0..count-1: (sum of values, rows without quality).</summary>
    public static (double Sum, long Nulls) Expected(long count) => (0.5 * count * (count - 1) / 2, ((count - 1) / 7) + 1);
}
