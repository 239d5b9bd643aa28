"""PyTorch CPU peer of the bench's model rows: times one training step (forward, backward, optimizer
step) of the paper's forecasting model and of its latent-dynamics model, at the sizes the TypeScript
side passes in --spec (one JSON object), so both sides measure the same shapes.

forecast: encoder (Linear, LayerNorm, Tanh) x (L-1), Linear(H, 2n) on u_0; z0 = mu + exp(logvar/2)*eps;
          T midpoint steps of the SiLU field f([z, u_t]) (L Linear layers, u held over a step);
          decoder (Linear, LayerNorm, ReLU) x (L-1), Linear(H, p) on every state;
          loss = sum over batch and outputs of (y_hat - y)^2, mean over time, + beta * KL(q || N(0, I))
          (summed over states, mean over the batch); NAdam (or Adam), gradient-norm clip.
latent:   Conv3d encoder (1x3x3 embedding pair averaged /1.414, two blocks of two 3x3x3 Conv-BN-SiLU each
          followed by MaxPool3d(2), AvgPool3d(2), mean over the remaining depth) to a g x g grid of
          n-state vectors, g = S/8; T midpoint steps of the SiLU field per cell; decoder per frame
          ConvTranspose3d(1x2x2, stride 1,2,2) + GroupNorm(8) + ReLU, two up-blocks of
          ConvTranspose3d(1x2x2), BN, SiLU and four 1x3x3 Conv-BN-SiLU, ConvTranspose3d(1x3x3) to RGB,
          sigmoid; loss = squared error summed over the frames, mean over the rest; Adam.
Usage: python3.11 torch_models.py --config forecast|latent --spec JSON [--threads 1] [--iters 30] [--warmup 5]
Prints one JSON line: median and min milliseconds per training step.
"""
import argparse, json, statistics, time
import torch
import torch.nn as nn


def head(i, hidden, o, layers, act):
    mods = []
    for k in range(layers - 1):
        mods += [nn.Linear(i if k == 0 else hidden, hidden), nn.LayerNorm(hidden), act()]
    mods.append(nn.Linear(hidden, o))
    return nn.Sequential(*mods)


def field(i, hidden, o, layers):
    mods = []
    for k in range(layers - 1):
        mods += [nn.Linear(i if k == 0 else hidden, hidden), nn.SiLU()]
    mods.append(nn.Linear(hidden, o))
    return nn.Sequential(*mods)


def midpoint(f, h):
    return lambda z, u: z + h * f(z + 0.5 * h * f(z, u), u)


def forecast_step(s):
    n, m, p, H, L, T, B = s["states"], s["inputs"], s["outputs"], s["hidden"], s["layers"], s["steps"], s["batch"]
    enc, dec, f = head(m, H, 2 * n, L, nn.Tanh), head(n, H, p, L, nn.ReLU), field(n + m, H, n, L)
    ev = lambda z, u: f(torch.cat((z, u), dim=-1))
    step = midpoint(ev, s["h"])
    u, y, eps = torch.randn(T, B, m), torch.randn(T, B, p), torch.randn(B, n)
    params = [*enc.parameters(), *f.parameters(), *dec.parameters()]
    opt = (torch.optim.NAdam if s["optimizer"] == "nadam" else torch.optim.Adam)(params, lr=s["lr"])

    def loss_fn():
        out = enc(u[0])
        mu, logvar = out[:, :n], out[:, n:]
        z = mu + torch.exp(0.5 * logvar) * eps
        states = []
        for t in range(T):
            z = step(z, u[t])
            states.append(z)
        pred = dec(torch.stack(states))
        recon = ((pred - y) ** 2).sum((-2, -1)).mean()
        kl = (0.5 * (mu ** 2 + logvar.exp() - 1 - logvar)).sum(-1).mean()
        return recon + s["klWeight"] * kl

    return params, opt, loss_fn


class ConvBnAct(nn.Sequential):
    def __init__(self, ci, co, k, pad):
        super().__init__(nn.Conv3d(ci, co, k, 1, pad), nn.BatchNorm3d(co), nn.SiLU())


class UpBlock(nn.Sequential):
    def __init__(self, ci, co):
        super().__init__(nn.ConvTranspose3d(ci, co, (1, 2, 2), (1, 2, 2)), nn.BatchNorm3d(co), nn.SiLU(),
                         *[ConvBnAct(co, co, (1, 3, 3), (0, 1, 1)) for _ in range(4)])


class LatentModel(nn.Module):
    def __init__(self, s):
        super().__init__()
        n, c = s["states"], s["states"] // 2
        self.n, self.g, self.T, self.h = n, s["frameSize"] // 8, s["horizon"], s["h"]
        self.embed1, self.embed2 = ConvBnAct(3, c, (1, 3, 3), (0, 1, 1)), ConvBnAct(c, c, (1, 3, 3), (0, 1, 1))
        self.down = nn.Sequential(ConvBnAct(c, c, 3, 1), ConvBnAct(c, c, 3, 1), nn.MaxPool3d(2),
                                  ConvBnAct(c, n, 3, 1), ConvBnAct(n, n, 3, 1), nn.MaxPool3d(2), nn.AvgPool3d(2))
        self.f = field(n, s["hidden"], n, s["layers"])
        self.decoder = nn.Sequential(nn.ConvTranspose3d(n, n, (1, 2, 2), (1, 2, 2)), nn.GroupNorm(8, n), nn.ReLU(),
                                     UpBlock(n, c), UpBlock(c, c), nn.ConvTranspose3d(c, 3, (1, 3, 3), 1, (0, 1, 1)))

    def forward(self, frames):  # [N, F, 3, S, S]
        x = frames.transpose(1, 2)
        x1 = self.embed1(x)
        x = (x1 + self.embed2(x1)) / 1.414
        lat = self.down(x).mean(2)  # [N, n, g, g]
        N = lat.shape[0]
        z = lat.permute(0, 2, 3, 1).reshape(N * self.g * self.g, self.n)
        step = midpoint(lambda z, _u: self.f(z), self.h)
        zs = []
        for _ in range(self.T):
            z = step(z, None)
            zs.append(z)
        zt = torch.stack(zs).reshape(self.T, N, self.g, self.g, self.n).permute(1, 4, 0, 2, 3)
        return torch.sigmoid(self.decoder(zt)).transpose(1, 2)  # [N, T, 3, S, S]


def latent_step(s):
    B, S = s["batch"], s["frameSize"]
    model = LatentModel(s)
    frames, gt = torch.rand(B, s["inputFrames"], 3, S, S), torch.rand(B, s["horizon"], 3, S, S)
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=s["lr"])
    return params, opt, lambda: ((model(frames) - gt) ** 2).sum(1).mean()


def run(name, s, iters, warmup):
    torch.manual_seed(0)
    params, opt, loss_fn = forecast_step(s) if name == "forecast" else latent_step(s)

    def train_step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn()
        loss.backward()
        if s.get("clip"):
            nn.utils.clip_grad_norm_(params, s["clip"])
        opt.step()
        return loss.item()

    times = []
    for i in range(warmup + iters):
        t0 = time.perf_counter(); train_step(); t1 = time.perf_counter()
        if i >= warmup:
            times.append((t1 - t0) * 1e3)
    return dict(impl=f"torch-{torch.__version__}-cpu", config=name, threads=torch.get_num_threads(),
                medianMs=round(statistics.median(times), 3), minMs=round(min(times), 3), iters=iters)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True, choices=["forecast", "latent"])
    ap.add_argument("--spec", required=True, help="sizes and optimizer of the row, one JSON object")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--iters", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    print(json.dumps(run(a.config, json.loads(a.spec), a.iters, a.warmup)), flush=True)
