using Hoshino.Cli.Commands;

namespace Hoshino.UnitTests.Cli;

public sealed class StoreUriTests
{
    [Theory]
    [InlineData("s3://bucket", "bucket", "")]
    [InlineData("s3://bucket/", "bucket", "")]
    [InlineData("s3://bucket/net1", "bucket", "net1/")]
    [InlineData("s3://bucket/net1/", "bucket", "net1/")]
    [InlineData("s3://bucket/a/b", "bucket", "a/b/")]
    [InlineData("s3://bucket//net1//", "bucket", "net1/")]      // one '/' at the end, none at the start
    [InlineData("s3://my.bucket-2/x", "my.bucket-2", "x/")]
    [InlineData("s3://abc", "abc", "")]                        // 3 characters, the shortest
    public void Parse_S3_BucketAndKeyPrefixEndingInSlash(string text, string bucket, string keyPrefix)
    {
        StoreUri store = StoreUri.Parse(text);

        Assert.True(store.IsS3);
        Assert.Equal(new StoreUri("s3", bucket, keyPrefix), store);
    }

    [Fact]
    public void Parse_S3BucketOf63Characters_Accepted()
    {
        string bucket = new('b', 63);

        Assert.Equal(bucket, StoreUri.Parse($"s3://{bucket}").Location);
    }

    [Theory]
    [InlineData("s3://", "")]
    [InlineData("s3:///prefix", "")]
    [InlineData("s3://ab", "ab")]                  // too short
    [InlineData("s3://Bucket", "Bucket")]          // upper case
    [InlineData("s3://my_bucket", "my_bucket")]
    [InlineData("s3://-bucket", "-bucket")]        // must start and end with a letter or digit
    [InlineData("s3://bucket-/x", "bucket-")]
    [InlineData("s3://.bucket", ".bucket")]
    [InlineData("s3://bück", "bück")]
    public void Parse_S3BadBucketName_FailsNamingTheRule(string text, string bucket)
    {
        string message = CliErrors.UsageError(() => StoreUri.Parse(text));

        Assert.Equal($"bad store '{text}': '{bucket}' is not a valid S3 bucket name (3-63 characters: a-z, 0-9, '.', '-')", message);
    }

    [Fact]
    public void Parse_S3BucketOf64Characters_Fails()
    {
        string bucket = new('b', 64);

        Assert.Contains("is not a valid S3 bucket name", CliErrors.UsageError(() => StoreUri.Parse($"s3://{bucket}")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dir:/var/lib/hoshino/bucket", "/var/lib/hoshino/bucket")]
    [InlineData("dir:/", "/")]
    public void Parse_DirAbsolutePath_DirectoryStoreWithoutKeyPrefix(string text, string path)
    {
        StoreUri store = StoreUri.Parse(text);

        Assert.False(store.IsS3);
        Assert.Equal(new StoreUri("dir", path, ""), store);
    }

    [Theory]
    [InlineData("dir:relative/path")]
    [InlineData("dir:")]
    [InlineData("dir:~/bucket")]
    public void Parse_DirRelativePath_FailsAskingForAnAbsoluteOne(string text) =>
        Assert.Equal($"bad store '{text}': dir: needs an absolute path, e.g. dir:/var/lib/hoshino/bucket",
            CliErrors.UsageError(() => StoreUri.Parse(text)));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Parse_Nothing_FailsSayingHowToGiveOne(string? text) =>
        Assert.Equal("no store given: pass --store s3://BUCKET[/KEYPREFIX] or --store dir:/PATH (or set HOSHINO_STORE)",
            CliErrors.UsageError(() => StoreUri.Parse(text)));

    [Theory]
    [InlineData("https://bucket.s3.amazonaws.com/")]
    [InlineData("S3://bucket")]       // schemes are lower case
    [InlineData("/var/lib/hoshino")]  // a bare path is not a dir: store
    [InlineData("bucket")]
    public void Parse_UnknownForm_FailsNamingTheTwoForms(string text) =>
        Assert.Equal($"bad store '{text}': expected s3://BUCKET[/KEYPREFIX] or dir:/PATH", CliErrors.UsageError(() => StoreUri.Parse(text)));
}
