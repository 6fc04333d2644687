// ijgate web service client example (C#, .NET 6 or later; no package needed).
//
// Sends one stoppage (arrêt de travail) over mutual TLS, then polls its state until it
// settles, then reads one page of the change feed. Build it as a console program:
//
//   dotnet new console -n IjgateClient && cp IjgateClient.cs IjgateClient/Program.cs
//   dotnet run --project IjgateClient -- https://ijgate.example:8443 client-rh-a.p12 stoppage.json accepted
//
// The client certificate is a PKCS#12 file (ijgate certs dev writes one per HR client, or
// export yours from the Windows store); its identity (DNS SAN or CN) must be an
// [[hr_clients]] name of the ijgate configuration. The server certificate must chain to a
// trusted root: import ijgate's CA in the machine store, or pin it as shown below.

using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;

public static class IjgateClient
{
    // States after which nothing more happens without a new message (openapi.json).
    static readonly string[] Final = {
        "accepted", "test_accepted", "refused", "rejected", "failed", "cancelled",
        "recorded", "dsij_fallback", "documents_requested" };

    public static async Task<int> Main(string[] args)
    {
        if (args.Length < 3)
        {
            Console.Error.WriteLine("usage: IjgateClient URL CLIENT.p12 STOPPAGE.json [UNTIL_STATE] [CA.pem]");
            return 2;
        }
        var baseUrl = args[0].TrimEnd('/');
        var until = args.Length > 3 ? args[3] : null;
        var password = Environment.GetEnvironmentVariable("IJGATE_P12_PASSWORD") ?? "";

        var handler = new HttpClientHandler
        {
            ClientCertificateOptions = ClientCertificateOption.Manual,
            SslProtocols = System.Security.Authentication.SslProtocols.Tls12
                         | System.Security.Authentication.SslProtocols.Tls13,
        };
        handler.ClientCertificates.Add(new X509Certificate2(args[1], password));
        if (args.Length > 4)
        {
            // Pin ijgate's own CA (e.g. the development one) instead of the machine store.
            var ca = X509Certificate2.CreateFromPem(File.ReadAllText(args[4]));
            handler.ServerCertificateCustomValidationCallback = (_, cert, _, _) =>
            {
                if (cert == null) return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(cert);
            };
        }
        using var http = new HttpClient(handler) { BaseAddress = new Uri(baseUrl + "/") };
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        var body = await File.ReadAllTextAsync(args[2], Encoding.UTF8);
        using var stoppage = JsonDocument.Parse(body);
        var post = await http.PostAsync("v1/stoppages",
            new StringContent(body, Encoding.UTF8, "application/json"));
        var answer = await post.Content.ReadAsStringAsync();
        if (post.StatusCode != HttpStatusCode.Accepted)
        {
            // 422: RFC 9457 problem with every error listed; nothing was recorded.
            Console.Error.WriteLine($"refused ({(int)post.StatusCode}): {answer}");
            using var problem = JsonDocument.Parse(answer);
            if (problem.RootElement.TryGetProperty("errors", out var errors))
                foreach (var e in errors.EnumerateArray())
                    Console.Error.WriteLine($"  {e.GetProperty("field")}: {e.GetProperty("reason")}");
            return 1;
        }
        using var accepted = JsonDocument.Parse(answer);
        var id = accepted.RootElement.GetProperty("id").GetInt64();
        Console.WriteLine($"declaration {id}: {accepted.RootElement.GetProperty("outcome")}");

        var deadline = DateTime.UtcNow.AddMinutes(2);
        var delay = TimeSpan.FromMilliseconds(500);
        string state = null;
        while (true)
        {
            using var d = JsonDocument.Parse(await http.GetStringAsync($"v1/stoppages/{id}"));
            var now = d.RootElement.GetProperty("state").GetString();
            if (now != state) { state = now; Console.WriteLine($"state: {state}"); }
            if (until != null ? state == until : Final.Contains(state)) break;
            if (until != null && Final.Contains(state))
            {
                Console.Error.WriteLine($"final state {state} reached, not {until}");
                return 1;
            }
            if (DateTime.UtcNow > deadline) { Console.Error.WriteLine($"timed out in state {state}"); return 1; }
            await Task.Delay(delay);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 10_000));
        }

        // The change feed: keep next_cursor between runs and pass it back as ?cursor=.
        var hrRef = Uri.EscapeDataString(stoppage.RootElement.GetProperty("hr_ref").GetString());
        using var page = JsonDocument.Parse(await http.GetStringAsync($"v1/stoppages?hr_ref={hrRef}&limit=10"));
        foreach (var row in page.RootElement.GetProperty("declarations").EnumerateArray())
        {
            var late = string.Join(",", row.GetProperty("late").EnumerateArray().Select(x => x.GetString()));
            Console.WriteLine($"listed: {row.GetProperty("id")} {row.GetProperty("hr_ref")} {row.GetProperty("event")} {row.GetProperty("state")} late=[{late}]");
        }
        Console.WriteLine($"next_cursor: {page.RootElement.GetProperty("next_cursor")}");

        // Lost notices? POST v1/notices:replay with {"hr_ref": "..."}: same file names again.
        return 0;
    }
}
