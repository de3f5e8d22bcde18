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
        if (text is null)
        {
            return null;
        }
        if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https"))
        {
            // Not echoed: a malformed URL may still hold a secret.
            throw new FatalException("bad S3 endpoint: expected an http:// or https:// URL such as http://[fd00::1]:7480", ExitCodes.Usage);
        }
        if (uri.UserInfo.Length > 0)
        {
            // The endpoint is shown in logs and systemd's status, which any local user can read.
            throw new FatalException($"bad S3 endpoint {uri.Scheme}://***@{uri.Authority}: credentials do not belong in the URL; "
                + "use AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile or an instance role", ExitCodes.Usage);
        }
        return text;
    }

    /// <summary>The flag, else <c>AWS_REGION</c>, else <c>AWS_DEFAULT_REGION</c>, else us-east-1.</summary>
    public static string Region(string? flag) => FirstSet(flag, RegionVariables) ?? "us-east-1";

    private static string? FirstSet(string? value, string[] variables) =>
        value is { Length: > 0 } ? value : variables.Select(Environment.GetEnvironmentVariable).FirstOrDefault(v => v is { Length: > 0 });
}
