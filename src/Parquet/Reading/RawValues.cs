namespace Partitioned.Parquet;

/// <summary>Spreads a raw read (the non-null values packed first, one definition level per row) out to one value per row.</summary>
internal static class RawValues
{
    public static TValue?[] Unpack<TRaw, TValue>(TRaw[] packed, int[] definitions, int maxDefinition, Func<TRaw, TValue> convert)
        where TValue : class
    {
        var values = new TValue?[packed.Length];
        if (maxDefinition == 0)
        {
            for (var row = 0; row < values.Length; row++)
            {
                values[row] = convert(packed[row]);
            }

            return values;
        }

        for (int row = 0, next = 0; row < values.Length; row++)
        {
            values[row] = definitions[row] == maxDefinition ? convert(packed[next++]) : null;
        }

        return values;
    }
}
