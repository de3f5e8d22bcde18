namespace Hoshino.Cli.Commands;

/// <summary>A parsed <c>--store</c>: <c>s3://BUCKET[/KEYPREFIX]</c> or <c>dir:/PATH</c>.</summary>
internal sealed record StoreUri(string Scheme, string Location, string KeyPrefix)
{
    public bool IsS3 => Scheme == "s3";

    public static StoreUri Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new FatalException("no store given: pass --store s3://BUCKET[/KEYPREFIX] or --store dir:/PATH (or set HOSHINO_STORE)", ExitCodes.Usage);
        }
        if (text.StartsWith("s3://", StringComparison.Ordinal))
        {
            string rest = text["s3://".Length..];
            int slash = rest.IndexOf('/', StringComparison.Ordinal);
            string bucket = slash < 0 ? rest : rest[..slash];
            string prefix = slash < 0 ? "" : rest[(slash + 1)..];
            if (!IsValidBucketName(bucket))
            {
                throw new FatalException($"bad store '{text}': '{bucket}' is not a valid S3 bucket name (3-63 characters: a-z, 0-9, '.', '-')", ExitCodes.Usage);
            }
            return new StoreUri("s3", bucket, NormalizePrefix(prefix));
        }
        if (text.StartsWith("dir:", StringComparison.Ordinal))
        {
            string path = text["dir:".Length..];
            if (!Path.IsPathFullyQualified(path))
            {
                throw new FatalException($"bad store '{text}': dir: needs an absolute path, e.g. dir:/var/lib/hoshino/bucket", ExitCodes.Usage);
            }
            return new StoreUri("dir", path, "");
        }
        throw new FatalException($"bad store '{text}': expected s3://BUCKET[/KEYPREFIX] or dir:/PATH", ExitCodes.Usage);
    }

    /// <summary>A non-empty key prefix always ends in '/', so the layout below it stays <c>{dest}/{src}/{ULID}</c>.</summary>
    private static string NormalizePrefix(string prefix)
    {
        prefix = prefix.Trim('/');
        return prefix.Length == 0 ? "" : prefix + "/";
    }

    private static bool IsValidBucketName(string bucket) =>
        bucket.Length is >= 3 and <= 63
        && bucket.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-')
        && char.IsAsciiLetterOrDigit(bucket[0]) && char.IsAsciiLetterOrDigit(bucket[^1]);
}
