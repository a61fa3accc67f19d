using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Partitioned.Tests.Examples;

/// <summary>The ModelServing example as a user runs it: trained with ML.NET, served over HTTP by ML.NET and by ONNX Runtime.</summary>
public sealed class ModelServingTests
{
    private static readonly TimeSpan s_start = TimeSpan.FromSeconds(90);

    // One partition each (one worker process): both engines run at once beside the rest of the suite.
    [Fact]
    public async Task BothEngines_AnswerOverHttp_AgreeOnEveryFlower_AndStopOnSigterm()
    {
        await using var mlnet = RunningProcess.Start(ExampleProcess.DllOf("examples", "ModelServing"), "--port 0 --partitions 1 --engine mlnet");
        await using var onnx = RunningProcess.Start(ExampleProcess.DllOf("examples", "ModelServing"), "--port 0 --partitions 1 --engine onnx");
        var urls = await Task.WhenAll(UrlAsync(mlnet), UrlAsync(onnx));
        using var client = new HttpClient();
        var flowers = File.ReadLines(Path.Combine(ExampleProcess.RepositoryRoot, "examples", "ModelServing", "data", "iris.csv")).Skip(1)
            .Select(static line => line.Split(','))
            .Select(static c => new { sepalLength = Number(c[0]), sepalWidth = Number(c[1]), petalLength = Number(c[2]), petalWidth = Number(c[3]) })
            .ToList();

        // All at once: the ONNX service gets micro-batches, the ML.NET one uses every pooled engine at the same time.
        var answers = await Task.WhenAll(urls.Select(url => Task.WhenAll(flowers.Select(async flower =>
            await (await client.PostAsJsonAsync(url, flower)).EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>()))));
        var bad = await client.PostAsJsonAsync(urls[1], new { sepalLength = 6.1 });

        foreach (var (engine, replies) in new[] { ("mlnet", answers[0]), ("onnx", answers[1]) })
        {
            Species(replies[0]).Should().Be("setosa", engine);
            Species(replies[75]).Should().Be("versicolor", engine);
            Species(replies[149]).Should().Be("virginica", engine);
            replies.Count(static r => Species(r) is not ("setosa" or "versicolor" or "virginica")).Should().Be(0);
            replies.Select(static r => r.GetProperty("probabilities").EnumerateObject().Sum(static p => p.Value.GetDouble())).Should().OnlyContain(static sum => Math.Abs(sum - 1) < 0.001);
        }

        answers[1].Select(Species).Should().Equal(answers[0].Select(Species), "the ONNX export is the same model");
        for (var i = 0; i < flowers.Count; i++)
        {
            foreach (var species in new[] { "setosa", "versicolor", "virginica" })
            {
                Probability(answers[1][i], species).Should().BeApproximately(Probability(answers[0][i], species), 0.0002, $"flower {i}, {species}");
            }
        }

        bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await bad.Content.ReadAsStringAsync()).Should().Contain("missing required properties 'sepalWidth', 'petalLength', 'petalWidth'");
        mlnet.Output.Should().MatchRegex(@"macro accuracy 0\.9\d\d on a held-out fifth").And.MatchRegex(@"Offline scoring with the serving handler \(MlNet\): 1[34]\d/150 correct");
        onnx.Output.Should().MatchRegex(@"Offline scoring with the serving handler \(Onnx\): 1[34]\d/150 correct").And.Contain("Engine: Onnx (ONNX Runtime, micro-batches");
        mlnet.Signal("TERM");
        onnx.Signal("TERM");
        (await mlnet.WaitForExitAsync()).Should().Be(0, mlnet.Output);
        (await onnx.WaitForExitAsync()).Should().Be(0, onnx.Output);
    }

    [Fact]
    public async Task UnknownEngine_ExitsWithUsageError()
    {
        var (exitCode, _, error) = await ExampleProcess.RunAsync(ExampleProcess.DllOf("examples", "ModelServing"), "--engine tensorflow", TimeSpan.FromSeconds(30));

        exitCode.Should().Be(2);
        error.Should().Contain("--engine must be mlnet or onnx (was 'tensorflow')");
    }

    private static Task<string> UrlAsync(RunningProcess example) =>
        example.WaitForLineAsync(static line => line.StartsWith("http://127.0.0.1:", StringComparison.Ordinal) && line.EndsWith("/serve/classify", StringComparison.Ordinal), s_start);

    private static double Number(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    private static string? Species(JsonElement reply) => reply.GetProperty("species").GetString();

    private static double Probability(JsonElement reply, string species) => reply.GetProperty("probabilities").GetProperty(species).GetDouble();
}
