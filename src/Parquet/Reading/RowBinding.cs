using Parquet;
using Parquet.Schema;

namespace Partitioned.Parquet;

/// <summary>
/// A row type bound to one file's schema: which column fills which member, checked the way JSON reading is
/// checked (a required member needs its column, a column must hold the member's type or one that widens to it,
/// a null needs a member that accepts null). Extra columns are ignored, as extra JSON properties are.
/// </summary>
internal sealed class RowBinding<T>
{
    private readonly RowContract _contract;
    private readonly IReadOnlyList<ColumnBinding> _columns;
    private readonly object?[] _missingArguments;
    private readonly string _file;

    private RowBinding(RowContract contract, IReadOnlyList<ColumnBinding> columns, object?[] missingArguments, string file)
    {
        _contract = contract;
        _columns = columns;
        _missingArguments = missingArguments;
        _file = file;
    }

    /// <param name="contract">The row type.</param>
    /// <param name="schema">The file's schema.</param>
    /// <param name="file">The file, for errors.</param>
    /// <param name="where">The row group the schema is checked for, or null for the file as a whole.</param>
    /// <param name="rowGroupCount">How many row groups the file has, for errors about the whole file.</param>
    /// <exception cref="ParquetDataException">The schema does not fit the row type; the message names the file and the column.</exception>
    public static RowBinding<T> Bind(RowContract contract, ParquetSchema schema, string file, int? where, int rowGroupCount)
    {
        var scope = where is null ? $" (the file's schema, so all {rowGroupCount} row groups)" : string.Empty;
        var columns = new List<ColumnBinding>();
        var missingArguments = new object?[contract.ParameterCount];
        foreach (var member in contract.Members.Where(static m => m.IsReadable))
        {
            var field = Find(schema, member, contract, file, where);
            if (field is null)
            {
                if (member.IsRequired)
                {
                    var columnNames = string.Join(", ", schema.Fields.Select(static f => f.Name));
                    throw new ParquetDataException(file, where, null, member.Name,
                        $"missing: {contract.TypeName} requires member '{member.Name}' ({ParquetTypes.Name(member.Type)}), but the file has no such column{scope}; its columns: {columnNames}.");
                }

                if (member.Parameter is { } position)
                {
                    missingArguments[position] = member.DefaultValue ?? (member.IsNonNullableValueType ? Activator.CreateInstance(member.Type) : null);
                }

                continue;
            }

            if (field is not DataField data || data.IsArray || data.MaxRepetitionLevel > 0)
            {
                throw new ParquetDataException(file, where, null, field.Name,
                    $"a {Kind(field)} column{scope}, which member '{member.Name}' of {contract.TypeName} cannot hold: rows are read from flat columns of {ParquetTypes.Supported}.");
            }

            var columnType = ParquetTypes.ValueTypeOf(data.ClrType);
            var convert = ParquetTypes.Converter(columnType, member.Type) ?? throw new ParquetDataException(file, where, null, field.Name,
                $"holds {ParquetTypes.Name(columnType)} values{scope}, but member '{member.Name}' of {contract.TypeName} is {ParquetTypes.Name(member.Type)}; " +
                "a column fills a member of its own type or of a type it widens to without loss (int to long or double, float to double, a date to DateTime).");
            columns.Add(new ColumnBinding(member, data, convert));
        }

        return new RowBinding<T>(contract, columns, missingArguments, file);
    }

    /// <summary>Decodes the bound columns of a row group (Parquet is columnar: a row group is what is read at once).</summary>
    public async Task<ColumnBuffer[]> ReadAsync(ParquetRowGroupReader rowGroup, int index, CancellationToken cancellationToken)
    {
        var rows = checked((int)rowGroup.RowCount);
        var buffers = new ColumnBuffer[_columns.Count];
        for (var i = 0; i < buffers.Length; i++)
        {
            var field = _columns[i].Field;
            buffers[i] = ColumnBuffer.For(field);
            try
            {
                await buffers[i].ReadAsync(rowGroup, rows, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw new ParquetDataException(_file, index, null, field.Name, $"cannot be read: {ex.Message}", ex);
            }
        }

        return buffers;
    }

    /// <summary>Builds the row at <paramref name="row"/> of a decoded row group.</summary>
    /// <exception cref="ParquetDataException">A value is null where the member accepts none.</exception>
    public T CreateRow(ColumnBuffer[] buffers, int rowGroup, int row)
    {
        var arguments = _contract.ParameterCount == 0 ? [] : (object?[])_missingArguments.Clone();
        var settings = new List<(RowMember, object?)>(_columns.Count);
        for (var i = 0; i < _columns.Count; i++)
        {
            var (member, field, convert) = _columns[i];
            var value = buffers[i][row];
            if (value is null && (!member.AllowsNull || member.IsNonNullableValueType))
            {
                throw new ParquetDataException(_file, rowGroup, row, field.Name,
                    $"the value is null, but member '{member.Name}' of {_contract.TypeName} is {ParquetTypes.Name(member.Type)}, which does not accept null (declare it nullable to accept nulls).");
            }

            var converted = value is null ? null : convert(value);
            if (member.Parameter is { } position)
            {
                arguments[position] = converted;
            }
            else
            {
                settings.Add((member, converted));
            }
        }

        return (T)_contract.Create(arguments, settings);
    }

    private static Field? Find(ParquetSchema schema, RowMember member, RowContract contract, string file, int? where)
    {
        var exact = schema.Fields.FirstOrDefault(f => string.Equals(f.Name, member.Name, StringComparison.Ordinal));
        if (exact is not null || !contract.CaseInsensitive)
        {
            return exact;
        }

        var matches = schema.Fields.Where(f => string.Equals(f.Name, member.Name, StringComparison.OrdinalIgnoreCase)).ToList();
        return matches.Count <= 1 ? matches.FirstOrDefault() : throw new ParquetDataException(file, where, null, member.Name,
            $"columns {string.Join(" and ", matches.Select(static f => $"'{f.Name}'"))} all match member '{member.Name}' of {contract.TypeName} (names are compared ignoring case); rename one, or read with case-sensitive JSON options.");
    }

    private static string Kind(Field field) => field.SchemaType switch
    {
        SchemaType.Struct => "struct (nested)",
        SchemaType.List => "list",
        SchemaType.Map => "map",
        _ => "repeated",
    };
}
