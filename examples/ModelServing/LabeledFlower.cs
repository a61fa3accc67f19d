using System.Globalization;

namespace ModelServing;

/// <summary>A row of the Iris data set (R. A. Fisher, 1936): measurements and the true species.</summary>
public sealed record LabeledFlower(Flower Flower, string Species)
{
    /// <summary>Reads <c>sepal_length,sepal_width,petal_length,petal_width,species</c> rows after a header line.</summary>
    public static IReadOnlyList<LabeledFlower> ReadCsv(string path) =>
        [.. File.ReadLines(path).Skip(1).Where(line => line.Length > 0).Select((line, index) =>
        {
            var cells = line.Split(',');
            if (cells.Length != 5)
            {
                throw new InvalidDataException($"{path}, line {index + 2}: expected 5 comma-separated cells, found {cells.Length}.");
            }

            float Number(int i) => float.Parse(cells[i], NumberStyles.Float, CultureInfo.InvariantCulture);
            return new LabeledFlower(new Flower(Number(0), Number(1), Number(2), Number(3)), cells[4]);
        })];
}
