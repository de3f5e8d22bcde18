namespace Hoshino.Cli.Commands;

/// <summary>Where the S3 endpoint and region come from when no flag gives them: the AWS variables.</summary>
internal static class StoreEnvironment
{
    private static readonly string[] EndpointVariables = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"];
    private static readonly string[] RegionVariables = ["AWS_REGION", "AWS_DEFAULT_REGION"];

    /// <summary>The flag, else <c>AWS_ENDPOINT_URL_S3</c>, else <c>AWS_ENDPOINT_URL</c>, else null (AWS itself). Validated.</summary>
    public static string? Endpoint(string? flag)
    {
        string? text = FirstSet(flag, EndpointVariables);
        if (text is not null && (!Uri.TryCreate(text, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https")))
        {
            throw new FatalException($"bad S3 endpoint '{text}': expected an http:// or https:// URL", ExitCodes.Usage);
        }
        return text;
    }

    /// <summary>The flag, else <c>AWS_REGION</c>, else <c>AWS_DEFAULT_REGION</c>, else us-east-1.</summary>
    public static string Region(string? flag) => FirstSet(flag, RegionVariables) ?? "us-east-1";

    private static string? FirstSet(string? value, string[] variables) =>
        value is { Length: > 0 } ? value : variables.Select(Environment.GetEnvironmentVariable).FirstOrDefault(v => v is { Length: > 0 });
}
