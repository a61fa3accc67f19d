namespace Partitioned.Tests.Parquet;

/// <summary>A row with every member type Parquet datasets support.</summary>
public sealed record AllTypes(
    bool Flag, sbyte Tiny, byte Octet, short Small, ushort SmallU, int Number, uint NumberU, long Big, ulong BigU,
    float Single, double Real, decimal Money, DateTime Time, DateOnly Day, Guid Id, string Text, byte[] Bytes,
    int? MaybeInt, double? MaybeDouble, string? MaybeText, DateTime? MaybeTime, Guid? MaybeId, byte[]? MaybeBytes)
{
    public static AllTypes Sample(int i) => new(
        i % 2 == 0, (sbyte)-i, (byte)(200 + i), (short)(-1000 * i), (ushort)(60000 + i), -100000 * i, 4000000000u + (uint)i, long.MinValue + i, ulong.MaxValue - (ulong)i,
        1.5f * i, Math.PI * i, 12345.6789m * i, new DateTime(2024, 2, 29, 13, 14, 15).AddTicks(1234567 * i), new DateOnly(2024, 3, i), Guid.NewGuid(), $"text {i} é ✓", [(byte)i, 0, 255],
        i, i / 3.0, $"maybe {i}", new DateTime(1999, 12, 31).AddDays(i), Guid.NewGuid(), [(byte)i]);
}
