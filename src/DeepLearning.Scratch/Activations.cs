using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DeepLearning.Scratch;

/// <summary>How GELU evaluates Φ(x): exactly with erf, or with PyTorch's tanh approximation (approximate="tanh").</summary>
public enum GeluApproximation
{
    /// <summary>GELU(x) = x·Φ(x) with the exact normal CDF.</summary>
    None,

    /// <summary>Φ(x) ≈ ½(1 + tanh(√(2/π)(x + 0.044715x³))).</summary>
    Tanh,
}

/// <summary>
/// The nonlinearities between layers, each a CS231n pair: <c>Forward(x) → (Out, Cache)</c> and
/// <c>Backward(dout, cache) → dx</c>, plus the scalar <c>Apply(x)</c> / <c>Derivative(x)</c> the lesson charts.
/// Elementwise activations have dx = dout ⊙ f′(x); softmax and log-softmax act on each row of the last dimension.
/// Every formula follows PyTorch's, including its branch at the kink (f′(0) is the x ≤ 0 branch).
/// </summary>
public static class Activations
{
    /// <summary>Logistic sigmoid σ(x) = 1 / (1 + e^{−x}); σ′(x) = σ(x)(1 − σ(x)).</summary>
    public static class Sigmoid
    {
        /// <summary>What backward needs: the output y = σ(x), because σ′ = y(1 − y).</summary>
        public sealed record Cache<T>(NDArray<T> Out) where T : unmanaged, IFloatingPointIeee754<T>;

        /// <summary>σ(x), as e^{x} / (1 + e^{x}) for x &lt; 0 so that e^{−x} never overflows (no NaN at ±1000).</summary>
        public static T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (x >= T.Zero) return T.One / (T.One + T.Exp(-x));
            T e = T.Exp(x);
            return e / (T.One + e);
        }

        /// <summary>σ′(x) = σ(x)(1 − σ(x)).</summary>
        public static T Derivative<T>(T x) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T s = Apply(x);
            return s * (T.One - s);
        }

        /// <summary>y = σ(x) elementwise.</summary>
        public static (NDArray<T> Out, Cache<T> Cache) Forward<T>(NDArray<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var y = Map(x, Apply);
            return (y, new Cache<T>(y));
        }

        /// <summary>dx = dout ⊙ y(1 − y).</summary>
        public static NDArray<T> Backward<T>(NDArray<T> dout, Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T>
        {
            ArgumentNullException.ThrowIfNull(cache);
            return Zip(dout, cache.Out, static (g, y) => g * y * (T.One - y));
        }

        /// <summary><see cref="Forward"/> into <paramref name="y"/>, vectorised and allocating nothing (backward needs y).</summary>
        public static void ForwardInto<T>(NDArray<T> x, NDArray<T> y) where T : unmanaged, IFloatingPointIeee754<T>
        {
            Check.SameShape(x, nameof(x), y, nameof(y));
            TensorPrimitives.Sigmoid<T>(x.Span, y.Span);
        }

        /// <summary><see cref="Backward"/> into <paramref name="dx"/> (which may be dout itself), given the forward output y.</summary>
        public static void BackwardInto<T>(NDArray<T> dout, NDArray<T> y, NDArray<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
        {
            CheckInto(dout, y, dx);
            Span<T> g = dout.Span, s = y.Span, d = dx.Span;
            for (int i = 0; i < d.Length; i++) d[i] = g[i] * s[i] * (T.One - s[i]);
        }
    }

    /// <summary>Hyperbolic tangent tanh(x) = (eˣ − e⁻ˣ)/(eˣ + e⁻ˣ); tanh′(x) = 1 − tanh²(x).</summary>
    public static class Tanh
    {
        /// <summary>What backward needs: the output y = tanh(x), because tanh′ = 1 − y².</summary>
        public sealed record Cache<T>(NDArray<T> Out) where T : unmanaged, IFloatingPointIeee754<T>;

        /// <summary>tanh(x).</summary>
        public static T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => T.Tanh(x);

        /// <summary>tanh′(x) = 1 − tanh²(x).</summary>
        public static T Derivative<T>(T x) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T t = T.Tanh(x);
            return T.One - (t * t);
        }

        /// <summary>y = tanh(x) elementwise.</summary>
        public static (NDArray<T> Out, Cache<T> Cache) Forward<T>(NDArray<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var y = Map(x, Apply);
            return (y, new Cache<T>(y));
        }

        /// <summary>dx = dout ⊙ (1 − y²).</summary>
        public static NDArray<T> Backward<T>(NDArray<T> dout, Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T>
        {
            ArgumentNullException.ThrowIfNull(cache);
            return Zip(dout, cache.Out, static (g, y) => g * (T.One - (y * y)));
        }

        /// <summary><see cref="Forward"/> into <paramref name="y"/>, vectorised and allocating nothing (backward needs y).</summary>
        public static void ForwardInto<T>(NDArray<T> x, NDArray<T> y) where T : unmanaged, IFloatingPointIeee754<T>
        {
            Check.SameShape(x, nameof(x), y, nameof(y));
            TensorPrimitives.Tanh<T>(x.Span, y.Span);
        }

        /// <summary><see cref="Backward"/> into <paramref name="dx"/> (which may be dout itself), given the forward output y.</summary>
        public static void BackwardInto<T>(NDArray<T> dout, NDArray<T> y, NDArray<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
        {
            CheckInto(dout, y, dx);
            Span<T> g = dout.Span, t = y.Span, d = dx.Span;
            for (int i = 0; i < d.Length; i++) d[i] = g[i] * (T.One - (t[i] * t[i]));
        }
    }

    /// <summary>Rectified linear unit ReLU(x) = max(x, 0); ReLU′(x) = 1 if x &gt; 0 else 0.</summary>
    public static class Relu
    {
        /// <summary>What backward needs: the input x (its sign is the gate).</summary>
        public sealed record Cache<T>(NDArray<T> X) where T : unmanaged, IFloatingPointIeee754<T>;

        /// <summary>max(x, 0) (NaN stays NaN).</summary>
        public static T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => T.Max(x, T.Zero);

        /// <summary>1 if x &gt; 0 else 0 (0 at the kink, as PyTorch).</summary>
        public static T Derivative<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => x > T.Zero ? T.One : T.Zero;

        /// <summary>y = max(x, 0) elementwise.</summary>
        public static (NDArray<T> Out, Cache<T> Cache) Forward<T>(NDArray<T> x) where T : unmanaged, IFloatingPointIeee754<T> =>
            (Map(x, Apply), new Cache<T>(x));

        /// <summary>dx = dout where x &gt; 0, else 0.</summary>
        public static NDArray<T> Backward<T>(NDArray<T> dout, Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T>
        {
            ArgumentNullException.ThrowIfNull(cache);
            return Zip(dout, cache.X, static (g, x) => x > T.Zero ? g : T.Zero);
        }

        /// <summary><see cref="Forward"/> into <paramref name="y"/>, vectorised and allocating nothing (backward needs x).</summary>
        public static void ForwardInto<T>(NDArray<T> x, NDArray<T> y) where T : unmanaged, IFloatingPointIeee754<T>
        {
            Check.SameShape(x, nameof(x), y, nameof(y));
            Workers.For(Blocks(x.Length), 1, x.Length >= Parallel, new ForwardBlocks<T>(x.Data, y.Data, x.Length));
        }

        /// <summary><see cref="Backward"/> into <paramref name="dx"/> (which may be dout itself), given the forward input x.</summary>
        public static void BackwardInto<T>(NDArray<T> dout, NDArray<T> x, NDArray<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
        {
            CheckInto(dout, x, dx);
            Workers.For(Blocks(x.Length), 1, x.Length >= Parallel, new BackwardBlocks<T>(dout.Data, x.Data, dx.Data, x.Length));
        }

        // A pass over a large array is bound by memory traffic, which two cores move faster than one: arrays of 64K
        // values and more (a conv layer's output in a training step) are shared among the cores in blocks of 16K.
        private const int Block = 1 << 14, Parallel = 1 << 16;

        private static int Blocks(int length) => (length + Block - 1) / Block;

        private readonly struct ForwardBlocks<T>(T[] x, T[] y, int length) : IWorkRange where T : unmanaged, IFloatingPointIeee754<T>
        {
            public void Run(int first, int end, int worker)
            {
                int start = first * Block, count = Math.Min(end * Block, length) - start;
                TensorPrimitives.Max(x.AsSpan(start, count), T.Zero, y.AsSpan(start, count));
            }
        }

        private readonly struct BackwardBlocks<T>(T[] dout, T[] x, T[] dx, int length) : IWorkRange where T : unmanaged, IFloatingPointIeee754<T>
        {
            [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a training step calls it too rarely for tiering to reach optimized code soon
            public void Run(int first, int end, int worker)
            {
                int start = first * Block, count = Math.Min(end * Block, length) - start;
                Span<T> g = dout.AsSpan(start, count), xs = x.AsSpan(start, count), d = dx.AsSpan(start, count);
                int i = 0;
                if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
                {
                    // The gate x > 0 as a vector mask: keeps dout's lanes where it holds, zeros the rest.
                    ReadOnlySpan<Vector<T>> gv = MemoryMarshal.Cast<T, Vector<T>>(g), xv = MemoryMarshal.Cast<T, Vector<T>>(xs);
                    Span<Vector<T>> dv = MemoryMarshal.Cast<T, Vector<T>>(d);
                    for (int k = 0; k < dv.Length; k++) dv[k] = Vector.ConditionalSelect(Vector.GreaterThan(xv[k], Vector<T>.Zero), gv[k], Vector<T>.Zero);
                    i = dv.Length * Vector<T>.Count;
                }
                for (; i < d.Length; i++) d[i] = xs[i] > T.Zero ? g[i] : T.Zero;
            }
        }
    }

    /// <summary>Leaky ReLU: f(x) = x if x &gt; 0 else s·x; f′(x) = 1 if x &gt; 0 else s (s = negative slope, 0.01).</summary>
    public static class LeakyRelu
    {
        /// <summary>What backward needs: the input and the slope.</summary>
        public sealed record Cache<T>(NDArray<T> X, T NegativeSlope) where T : unmanaged, IFloatingPointIeee754<T>;

        /// <summary>x if x &gt; 0 else s·x.</summary>
        public static T Apply<T>(T x, double negativeSlope = 0.01) where T : unmanaged, IFloatingPointIeee754<T> =>
            x > T.Zero ? x : x * T.CreateChecked(negativeSlope);

        /// <summary>1 if x &gt; 0 else s.</summary>
        public static T Derivative<T>(T x, double negativeSlope = 0.01) where T : unmanaged, IFloatingPointIeee754<T> =>
            x > T.Zero ? T.One : T.CreateChecked(negativeSlope);

        /// <summary>y = x if x &gt; 0 else s·x, elementwise.</summary>
        public static (NDArray<T> Out, Cache<T> Cache) Forward<T>(NDArray<T> x, double negativeSlope = 0.01)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            CheckFinite(negativeSlope, nameof(negativeSlope));
            T s = T.CreateChecked(negativeSlope);
            return (Map(x, v => v > T.Zero ? v : v * s), new Cache<T>(x, s));
        }

        /// <summary>dx = dout where x &gt; 0, else s·dout.</summary>
        public static NDArray<T> Backward<T>(NDArray<T> dout, Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T>
        {
            ArgumentNullException.ThrowIfNull(cache);
            T s = cache.NegativeSlope;
            return Zip(dout, cache.X, (g, x) => x > T.Zero ? g : g * s);
        }
    }

    /// <summary>
    /// Parametric ReLU (torch.nn.functional.prelu): f(x) = x if x &gt; 0 else a·x with a learned slope <c>a</c>, one
    /// shared value (shape [1]) or one per channel (shape [C], channel = dimension 1 of the input, as in PyTorch).
    /// ∂f/∂x = 1 or a; ∂f/∂a = 0 or x, so ∂L/∂a_c sums dout·x over the non-positive inputs of channel c.
    /// This is the functional form: <c>a</c> is an input, so Backward returns its gradient beside dx.
    /// <see cref="PReluLayer{T}"/> owns <c>a</c> as a parameter and accumulates into its gradient instead.
    /// </summary>
    public static class PRelu
    {
        /// <summary>What backward needs: the input and the slopes used.</summary>
        public sealed record Cache<T>(NDArray<T> X, NDArray<T> A) where T : unmanaged, IFloatingPointIeee754<T>;

        /// <summary>The gradients of the two inputs: x and the slope a.</summary>
        public sealed record Grads<T>(NDArray<T> Dx, NDArray<T> Da) where T : unmanaged, IFloatingPointIeee754<T>;

        /// <summary>x if x &gt; 0 else a·x.</summary>
        public static T Apply<T>(T x, T a) where T : unmanaged, IFloatingPointIeee754<T> => x > T.Zero ? x : a * x;

        /// <summary>∂f/∂x: 1 if x &gt; 0 else a.</summary>
        public static T Derivative<T>(T x, T a) where T : unmanaged, IFloatingPointIeee754<T> => x > T.Zero ? T.One : a;

        /// <summary>y = x if x &gt; 0 else a[c]·x, where c is the channel (dimension 1) of each element.</summary>
        public static (NDArray<T> Out, Cache<T> Cache) Forward<T>(NDArray<T> x, NDArray<T> a) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var (channels, inner) = Layout(x, a);
            var y = x.ZerosLike();
            for (int i = 0; i < x.Length; i++)
                y.Data[i] = Apply(x.Data[i], a.Data[SlopeIndex(i, channels, inner, a.Length)]);
            return (y, new Cache<T>(x, a));
        }

        /// <summary>dx = dout where x &gt; 0, else a·dout; da[c] = Σ dout·x over the entries of channel c with x ≤ 0.</summary>
        public static Grads<T> Backward<T>(NDArray<T> dout, Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T>
        {
            ArgumentNullException.ThrowIfNull(cache);
            var (x, a) = (cache.X, cache.A);
            Check.SameShape(x, "the forward input (cache.X)", dout, nameof(dout));
            var (channels, inner) = Layout(x, a);
            var dx = x.ZerosLike();
            var da = a.ZerosLike();
            for (int i = 0; i < x.Length; i++)
            {
                int k = SlopeIndex(i, channels, inner, a.Length);
                if (x.Data[i] > T.Zero)
                {
                    dx.Data[i] = dout.Data[i];
                }
                else
                {
                    dx.Data[i] = a.Data[k] * dout.Data[i];
                    da.Data[k] += x.Data[i] * dout.Data[i];
                }
            }
            return new Grads<T>(dx, da);
        }

        // Channels are dimension 1 (NC, NCL, NCHW); an input with fewer than 2 dimensions has one channel.
        private static (int Channels, int Inner) Layout<T>(NDArray<T> x, NDArray<T> a) where T : unmanaged, IFloatingPointIeee754<T>
        {
            ArgumentNullException.ThrowIfNull(x);
            Check.Rank(a, 1, nameof(a), "[1] or [channels]");
            int channels = x.Rank >= 2 ? x.Shape[1] : 1;
            if (a.Length != 1 && a.Length != channels)
                throw new ArgumentException(
                    $"a has shape {Shapes.Format(a.Shape)}, but PReLU needs one slope ([1]) or one per channel ([{channels}]) for input of shape {Shapes.Format(x.Shape)}.", nameof(a));
            int inner = 1;
            for (int d = 2; d < x.Rank; d++) inner *= x.Shape[d];
            return (channels, inner);
        }

        private static int SlopeIndex(int i, int channels, int inner, int slopes) => slopes == 1 ? 0 : i / inner % channels;
    }

    /// <summary>Exponential linear unit: f(x) = x if x &gt; 0 else α(eˣ − 1); f′(x) = 1 if x &gt; 0 else α·eˣ.</summary>
    public static class Elu
    {
        /// <summary>What backward needs: the input and α.</summary>
        public sealed record Cache<T>(NDArray<T> X, T Alpha) where T : unmanaged, IFloatingPointIeee754<T>;

        /// <summary>x if x &gt; 0 else α(eˣ − 1) (with expm1, accurate near 0).</summary>
        public static T Apply<T>(T x, double alpha = 1.0) where T : unmanaged, IFloatingPointIeee754<T> =>
            x > T.Zero ? x : T.CreateChecked(alpha) * Expm1(x);

        /// <summary>1 if x &gt; 0 else α·eˣ.</summary>
        public static T Derivative<T>(T x, double alpha = 1.0) where T : unmanaged, IFloatingPointIeee754<T> =>
            x > T.Zero ? T.One : T.CreateChecked(alpha) * T.Exp(x);

        /// <summary>y = ELU(x) elementwise.</summary>
        public static (NDArray<T> Out, Cache<T> Cache) Forward<T>(NDArray<T> x, double alpha = 1.0) where T : unmanaged, IFloatingPointIeee754<T>
        {
            CheckFinite(alpha, nameof(alpha));
            return (Map(x, v => Apply(v, alpha)), new Cache<T>(x, T.CreateChecked(alpha)));
        }

        /// <summary>dx = dout where x &gt; 0, else dout·α·eˣ.</summary>
        public static NDArray<T> Backward<T>(NDArray<T> dout, Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T>
        {
            ArgumentNullException.ThrowIfNull(cache);
            T alpha = cache.Alpha;
            return Zip(dout, cache.X, (g, x) => x > T.Zero ? g : g * alpha * T.Exp(x));
        }
    }

    /// <summary>
    /// Scaled ELU (self-normalizing): f(x) = λ·x if x &gt; 0 else λα(eˣ − 1); f′(x) = λ if x &gt; 0 else λα·eˣ, with
    /// PyTorch's constants λ = 1.0507009873554804934193349852946 and α = 1.6732632423543772848170429916717.
    /// </summary>
    public static class Selu
    {
        /// <summary>λ (scale).</summary>
        public const double Scale = 1.0507009873554804934193349852946;

        /// <summary>α.</summary>
        public const double Alpha = 1.6732632423543772848170429916717;

        /// <summary>What backward needs: the input.</summary>
        public sealed record Cache<T>(NDArray<T> X) where T : unmanaged, IFloatingPointIeee754<T>;

        /// <summary>λ·x if x &gt; 0 else λα(eˣ − 1).</summary>
        public static T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> =>
            x > T.Zero ? T.CreateChecked(Scale) * x : T.CreateChecked(Scale * Alpha) * Expm1(x);

        /// <summary>λ if x &gt; 0 else λα·eˣ.</summary>
        public static T Derivative<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> =>
            x > T.Zero ? T.CreateChecked(Scale) : T.CreateChecked(Scale * Alpha) * T.Exp(x);

        /// <summary>y = SELU(x) elementwise.</summary>
        public static (NDArray<T> Out, Cache<T> Cache) Forward<T>(NDArray<T> x) where T : unmanaged, IFloatingPointIeee754<T> =>
            (Map(x, Apply), new Cache<T>(x));

        /// <summary>dx = dout ⊙ SELU′(x).</summary>
        public static NDArray<T> Backward<T>(NDArray<T> dout, Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T>
        {
            ArgumentNullException.ThrowIfNull(cache);
            return Zip(dout, cache.X, static (g, x) => g * Derivative(x));
        }
    }

    /// <summary>
    /// Gaussian error linear unit GELU(x) = x·Φ(x) = ½x(1 + erf(x/√2)); GELU′(x) = Φ(x) + x·φ(x) with
    /// φ(x) = e^{−x²/2}/√(2π). With <see cref="GeluApproximation.Tanh"/>: ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³),
    /// derivative ½(1 + tanh u) + ½x(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²).
    /// </summary>
    public static class Gelu
    {
        private const double Kappa = 0.044715;
        private static readonly double SqrtTwoOverPi = Math.Sqrt(2 / Math.PI);
        private static readonly double InvSqrtTwoPi = 1 / Math.Sqrt(2 * Math.PI);

        /// <summary>What backward needs: the input and which form was used.</summary>
        public sealed record Cache<T>(NDArray<T> X, GeluApproximation Approximate) where T : unmanaged, IFloatingPointIeee754<T>;

        /// <summary>GELU(x), exact (erf) or tanh-approximated.</summary>
        public static T Apply<T>(T x, GeluApproximation approximate = GeluApproximation.None) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T half = T.CreateChecked(0.5);
            if (approximate == GeluApproximation.Tanh)
            {
                T u = T.CreateChecked(SqrtTwoOverPi) * (x + (T.CreateChecked(Kappa) * x * x * x));
                return half * x * (T.One + T.Tanh(u));
            }
            return x * half * (T.One + ErfOf(x * T.CreateChecked(Math.Sqrt(0.5))));
        }

        /// <summary>GELU′(x), exact or of the tanh form.</summary>
        public static T Derivative<T>(T x, GeluApproximation approximate = GeluApproximation.None) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T half = T.CreateChecked(0.5);
            if (approximate == GeluApproximation.Tanh)
            {
                T kappa = T.CreateChecked(Kappa), beta = T.CreateChecked(SqrtTwoOverPi);
                T t = T.Tanh(beta * (x + (kappa * x * x * x)));
                return (half * (T.One + t)) + (half * x * (T.One - (t * t)) * beta * (T.One + (T.CreateChecked(3) * kappa * x * x)));
            }
            T cdf = half * (T.One + ErfOf(x * T.CreateChecked(Math.Sqrt(0.5))));
            T pdf = T.Exp(-half * x * x) * T.CreateChecked(InvSqrtTwoPi);
            return cdf + (x * pdf);
        }

        /// <summary>y = GELU(x) elementwise.</summary>
        public static (NDArray<T> Out, Cache<T> Cache) Forward<T>(NDArray<T> x, GeluApproximation approximate = GeluApproximation.None)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            CheckDefined(approximate, nameof(approximate));
            return (Map(x, v => Apply(v, approximate)), new Cache<T>(x, approximate));
        }

        /// <summary>dx = dout ⊙ GELU′(x).</summary>
        public static NDArray<T> Backward<T>(NDArray<T> dout, Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T>
        {
            ArgumentNullException.ThrowIfNull(cache);
            var approximate = cache.Approximate;
            return Zip(dout, cache.X, (g, x) => g * Derivative(x, approximate));
        }

        // erf is evaluated in double for both precisions; float only rounds the result.
        private static T ErfOf<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> =>
            T.CreateChecked(Erf(double.CreateChecked(x)));
    }

    /// <summary>SiLU / swish: f(x) = x·σ(x); f′(x) = σ(x)(1 + x(1 − σ(x))).</summary>
    public static class Silu
    {
        /// <summary>What backward needs: the input.</summary>
        public sealed record Cache<T>(NDArray<T> X) where T : unmanaged, IFloatingPointIeee754<T>;

        /// <summary>x·σ(x).</summary>
        public static T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => x * Sigmoid.Apply(x);

        /// <summary>σ(x)(1 + x(1 − σ(x))).</summary>
        public static T Derivative<T>(T x) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T s = Sigmoid.Apply(x);
            return s * (T.One + (x * (T.One - s)));
        }

        /// <summary>y = x·σ(x) elementwise.</summary>
        public static (NDArray<T> Out, Cache<T> Cache) Forward<T>(NDArray<T> x) where T : unmanaged, IFloatingPointIeee754<T> =>
            (Map(x, Apply), new Cache<T>(x));

        /// <summary>dx = dout ⊙ σ(x)(1 + x(1 − σ(x))).</summary>
        public static NDArray<T> Backward<T>(NDArray<T> dout, Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T>
        {
            ArgumentNullException.ThrowIfNull(cache);
            return Zip(dout, cache.X, static (g, x) => g * Derivative(x));
        }
    }

    /// <summary>
    /// Softplus, a smooth ReLU: f(x) = log(1 + e^{βx})/β, and f(x) = x once βx &gt; threshold (PyTorch's switch, where
    /// the two agree to float precision); f′(x) = σ(βx) = z/(z + 1) with z = e^{βx}, and 1 past the threshold.
    /// </summary>
    public static class Softplus
    {
        /// <summary>What backward needs: the input, β and the threshold.</summary>
        public sealed record Cache<T>(NDArray<T> X, T Beta, T Threshold) where T : unmanaged, IFloatingPointIeee754<T>;

        /// <summary>log(1 + e^{βx})/β, or x when βx &gt; threshold.</summary>
        public static T Apply<T>(T x, double beta = 1, double threshold = 20) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T bx = x * T.CreateChecked(beta);
            return bx > T.CreateChecked(threshold) ? x : Log1P(T.Exp(bx)) / T.CreateChecked(beta);
        }

        /// <summary>z/(z + 1) with z = e^{βx}, or 1 when βx &gt; threshold.</summary>
        public static T Derivative<T>(T x, double beta = 1, double threshold = 20) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T bx = x * T.CreateChecked(beta);
            if (bx > T.CreateChecked(threshold)) return T.One;
            T z = T.Exp(bx);
            return z / (z + T.One);
        }

        /// <summary>y = softplus(x) elementwise.</summary>
        public static (NDArray<T> Out, Cache<T> Cache) Forward<T>(NDArray<T> x, double beta = 1, double threshold = 20)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            Check.Positive(beta, nameof(beta));
            CheckFinite(threshold, nameof(threshold));
            return (Map(x, v => Apply(v, beta, threshold)), new Cache<T>(x, T.CreateChecked(beta), T.CreateChecked(threshold)));
        }

        /// <summary>dx = dout ⊙ softplus′(x).</summary>
        public static NDArray<T> Backward<T>(NDArray<T> dout, Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T>
        {
            ArgumentNullException.ThrowIfNull(cache);
            var (beta, threshold) = (cache.Beta, cache.Threshold);
            return Zip(dout, cache.X, (g, x) =>
            {
                T bx = x * beta;
                if (bx > threshold) return g;
                T z = T.Exp(bx);
                return g * z / (z + T.One);
            });
        }
    }

    /// <summary>
    /// Softmax along dimension <c>dim</c> (the last by default, as PyTorch's dim=-1 for logits [N, C]):
    /// yᵢ = e^{xᵢ − m} / Σⱼ e^{xⱼ − m} with m = maxⱼ xⱼ (the shift changes nothing mathematically but keeps
    /// e^{·} ≤ 1). Jacobian ∂yᵢ/∂xⱼ = yᵢ(δᵢⱼ − yⱼ), so dx = y ⊙ (dout − Σⱼ doutⱼ·yⱼ) along each slice.
    /// </summary>
    public static class Softmax
    {
        /// <summary>What backward needs: the output probabilities and the dimension they sum to 1 along.</summary>
        public sealed record Cache<T>(NDArray<T> Out, int Dim = -1) where T : unmanaged, IFloatingPointIeee754<T>;

        /// <summary>y = softmax(x) along <paramref name="dim"/> (negative counts from the end): each slice sums to 1.</summary>
        public static (NDArray<T> Out, Cache<T> Cache) Forward<T>(NDArray<T> x, int dim = -1) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var lanes = Lanes.Of(x, dim, "softmax");
            var y = x.ZerosLike();
            lanes.ForEach(x, y, static (xr, yr) =>
            {
                TensorPrimitives.Subtract(xr, TensorPrimitives.Max<T>(xr), yr);
                TensorPrimitives.Exp<T>(yr, yr);
                TensorPrimitives.Divide(yr, TensorPrimitives.Sum<T>(yr), yr);
            });
            return (y, new Cache<T>(y, lanes.Axis));
        }

        /// <summary>dx = y ⊙ (dout − ⟨dout, y⟩) along each slice.</summary>
        public static NDArray<T> Backward<T>(NDArray<T> dout, Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T>
        {
            ArgumentNullException.ThrowIfNull(cache);
            var y = cache.Out;
            Check.SameShape(y, "the forward output (cache.Out)", dout, nameof(dout));
            var lanes = Lanes.Of(y, cache.Dim, "softmax");
            var dx = y.ZerosLike();
            lanes.ForEach(y, dout, dx, static (yr, gr, dr) =>
            {
                T dot = TensorPrimitives.Dot<T>(gr, yr);
                TensorPrimitives.Subtract(gr, dot, dr);
                TensorPrimitives.Multiply(dr, yr, dr);
            });
            return dx;
        }
    }

    /// <summary>
    /// Log-softmax along dimension <c>dim</c> (the last by default): yᵢ = xᵢ − m − log Σⱼ e^{xⱼ − m} (log-sum-exp with
    /// m = max x; never forms a probability that could underflow to log 0). dx = dout − softmax(x)·Σⱼ doutⱼ along each
    /// slice, with softmax = e^{y}.
    /// </summary>
    public static class LogSoftmax
    {
        /// <summary>What backward needs: the output log-probabilities and the dimension.</summary>
        public sealed record Cache<T>(NDArray<T> Out, int Dim = -1) where T : unmanaged, IFloatingPointIeee754<T>;

        /// <summary>y = log softmax(x) along <paramref name="dim"/> (negative counts from the end).</summary>
        public static (NDArray<T> Out, Cache<T> Cache) Forward<T>(NDArray<T> x, int dim = -1) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var lanes = Lanes.Of(x, dim, "log-softmax");
            var y = x.ZerosLike();
            lanes.ForEach(x, y, static (xr, yr) =>
            {
                TensorPrimitives.Subtract(xr, TensorPrimitives.Max<T>(xr), yr);
                T sumExp = T.Zero;
                foreach (T v in yr) sumExp += T.Exp(v);
                TensorPrimitives.Subtract(yr, T.Log(sumExp), yr);
            });
            return (y, new Cache<T>(y, lanes.Axis));
        }

        /// <summary>dx = dout − e^{y}·Σ dout along each slice.</summary>
        public static NDArray<T> Backward<T>(NDArray<T> dout, Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T>
        {
            ArgumentNullException.ThrowIfNull(cache);
            var y = cache.Out;
            Check.SameShape(y, "the forward output (cache.Out)", dout, nameof(dout));
            var lanes = Lanes.Of(y, cache.Dim, "log-softmax");
            var dx = y.ZerosLike();
            lanes.ForEach(y, dout, dx, static (yr, gr, dr) =>
            {
                T sum = TensorPrimitives.Sum<T>(gr);
                for (int j = 0; j < dr.Length; j++) dr[j] = gr[j] - (T.Exp(yr[j]) * sum);
            });
            return dx;
        }
    }

    // The 1-D slices ("lanes") of an array along one dimension: Outer·Inner of them, each Size long with stride Inner.
    // Along the last dimension (Inner = 1) a lane is a contiguous span; otherwise it is gathered into a buffer,
    // processed by the same span code, and scattered back.
    private readonly record struct Lanes(int Outer, int Size, int Inner, int Axis)
    {
        public delegate void Unary<T>(Span<T> x, Span<T> y);

        public delegate void Binary<T>(Span<T> a, Span<T> b, Span<T> y);

        public static Lanes Of<T>(NDArray<T> x, int dim, string what) where T : unmanaged, IFloatingPointIeee754<T>
        {
            ArgumentNullException.ThrowIfNull(x);
            if (x.Rank == 0)
                throw new ArgumentException($"x is a 0-d array; {what} needs at least one dimension.", nameof(x));
            int axis = x.Axis(dim, nameof(dim));
            if (x.Shape[axis] == 0)
                throw new ArgumentException($"x has shape {Shapes.Format(x.Shape)}; {what} needs at least one entry along dimension {dim}.", nameof(x));
            int outer = 1, inner = 1;
            for (int d = 0; d < axis; d++) outer *= x.Shape[d];
            for (int d = axis + 1; d < x.Rank; d++) inner *= x.Shape[d];
            return new Lanes(x.Length == 0 ? 0 : outer, x.Shape[axis], inner, axis);
        }

        public void ForEach<T>(NDArray<T> x, NDArray<T> y, Unary<T> f) where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (Inner == 1)
            {
                for (int o = 0; o < Outer; o++) f(x.Data.AsSpan(o * Size, Size), y.Data.AsSpan(o * Size, Size));
                return;
            }
            T[] xb = new T[Size], yb = new T[Size];
            for (int o = 0; o < Outer; o++)
                for (int i = 0; i < Inner; i++)
                {
                    int start = (o * Size * Inner) + i;
                    Gather(x.Data, start, xb);
                    f(xb, yb);
                    Scatter(yb, y.Data, start);
                }
        }

        public void ForEach<T>(NDArray<T> a, NDArray<T> b, NDArray<T> y, Binary<T> f) where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (Inner == 1)
            {
                for (int o = 0; o < Outer; o++)
                    f(a.Data.AsSpan(o * Size, Size), b.Data.AsSpan(o * Size, Size), y.Data.AsSpan(o * Size, Size));
                return;
            }
            T[] ab = new T[Size], bb = new T[Size], yb = new T[Size];
            for (int o = 0; o < Outer; o++)
                for (int i = 0; i < Inner; i++)
                {
                    int start = (o * Size * Inner) + i;
                    Gather(a.Data, start, ab);
                    Gather(b.Data, start, bb);
                    f(ab, bb, yb);
                    Scatter(yb, y.Data, start);
                }
        }

        private void Gather<T>(T[] from, int start, T[] lane)
        {
            for (int k = 0; k < Size; k++) lane[k] = from[start + (k * Inner)];
        }

        private void Scatter<T>(T[] lane, T[] to, int start)
        {
            for (int k = 0; k < Size; k++) to[start + (k * Inner)] = lane[k];
        }
    }

    // ─── Special functions ──────────────────────────────────────────────────────────────────────────────────────────

    /// <summary>
    /// The error function erf(x) = (2/√π)∫₀ˣ e^{−t²}dt, to a few units in the last place (.NET has none; GELU needs it).
    /// Near each table node t = k/32 it is a Taylor polynomial, erf(t + h) = erf(t) + Σₘ aₘhᵐ with
    /// aₘ = (2/√π)e^{−t²}(−1)^{m−1}H_{m−1}(t)/m! (the derivatives of e^{−t²} are Hermite polynomials); the node values
    /// are computed once, in 28-digit decimal.
    /// </summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        double ax = Math.Abs(x);
        double r = ax < ErfTable.End ? ErfTable.Expand(ax, complement: false) : 1 - ErfcContinuedFraction(ax);
        return x < 0 ? -r : r;
    }

    /// <summary>The complementary error function erfc(x) = 1 − erf(x), accurate in the tail too (erfc(6) ≈ 2.2e-17).</summary>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x)) return x;
        double ax = Math.Abs(x);
        double r = ax < ErfTable.End ? ErfTable.Expand(ax, complement: true) : ErfcContinuedFraction(ax);
        return x < 0 ? 2 - r : r;
    }

    // erf(t), erfc(t) and the Taylor coefficients a₁…a₁₂ at t = k/32 for t ∈ [0, 6]. Past 6, erf(x) rounds to 1 and
    // erfc comes from the continued fraction.
    private static class ErfTable
    {
        public const double End = 6;
        private const int PerUnit = 32, Terms = 12; // |h| ≤ 1/64, so the omitted terms are far below double precision
        private static readonly double[] Erf, Erfc, Coefficients;

        static ErfTable()
        {
            int count = ((int)End * PerUnit) + 1;
            (Erf, Erfc, Coefficients) = (new double[count], new double[count], new double[count * Terms]);
            for (int k = 0; k < count; k++)
            {
                decimal t = (decimal)k / PerUnit; // exact
                if (t < 3)
                {
                    decimal erf = ErfSeries(t);
                    (Erf[k], Erfc[k]) = ((double)erf, (double)(1 - erf));
                }
                else
                {
                    Erfc[k] = Math.Exp(-(double)(t * t)) * (double)(1 / (SqrtPi * ErfcFraction(t)));
                    Erf[k] = 1 - Erfc[k];
                }
                // aₘ = slope·(−1)^{m−1}H_{m−1}(t)/m!, with H₀ = 1, H₁ = 2t, Hₙ₊₁ = 2tHₙ − 2nHₙ₋₁.
                double td = (double)t, scale = 2 / Math.Sqrt(Math.PI) * Math.Exp(-td * td);
                double hPrev = 0, hCur = 1;
                for (int m = 1; m <= Terms; m++)
                {
                    scale /= m;
                    Coefficients[(k * Terms) + m - 1] = scale * hCur;
                    scale = -scale;
                    (hPrev, hCur) = (hCur, (2 * td * hCur) - (2 * (m - 1) * hPrev));
                }
            }
        }

        public static double Expand(double x, bool complement)
        {
            int k = (int)Math.Round(x * PerUnit);
            double h = x - ((double)k / PerUnit);
            var a = Coefficients.AsSpan(k * Terms, Terms);
            double p = a[Terms - 1];
            for (int m = Terms - 2; m >= 0; m--) p = (p * h) + a[m]; // Horner: Σₘ aₘhᵐ = h(a₁ + h(a₂ + …))
            p *= h;
            return complement ? Erfc[k] - p : Erf[k] + p;
        }

        // The nodes are computed once in decimal (28 digits), so the table adds no error of its own.
        private const decimal SqrtPi = 1.7724538509055160272981674833m;

        // erf(t) = (2/√π) Σₙ (−1)ⁿ t^{2n+1}/(n!(2n+1)); for t < 3 the alternating terms stay below ~10⁴, so 28 digits keep ~24.
        private static decimal ErfSeries(decimal t)
        {
            decimal t2 = t * t, u = t, sum = t;
            for (int n = 1; n < 500 && u != 0; n++)
            {
                u = -u * t2 / n;
                sum += u / ((2 * n) + 1);
            }
            return 2 / SqrtPi * sum;
        }

        // The continued fraction x + (1/2)/(x + (2/2)/(x + (3/2)/(x + …))) of erfc (see ErfcContinuedFraction), in decimal.
        private static decimal ErfcFraction(decimal x)
        {
            decimal f = x, c = x, d = 0;
            for (int n = 1; n < 100_000; n++)
            {
                decimal an = n / 2m;
                d = 1 / (x + (an * d));
                c = x + (an / c);
                decimal delta = c * d;
                f *= delta;
                if (Math.Abs(delta - 1) < 1e-27m) break;
            }
            return f;
        }
    }

    // erfc(x) = e^{−x²}/√π · 1/(x + (1/2)/(x + (2/2)/(x + (3/2)/(x + …)))) by the modified Lentz method; used for
    // x ≥ 6 only, where it converges in a few dozen steps (all terms positive, so no zero denominators).
    private static double ErfcContinuedFraction(double x)
    {
        if (double.IsPositiveInfinity(x)) return 0;
        double f = x, c = x, d = 0;
        for (int n = 1; n < 1000; n++)
        {
            double an = n / 2.0;
            d = 1 / (x + (an * d));
            c = x + (an / c);
            double delta = c * d;
            f *= delta;
            if (delta == 1) break;
        }
        return ExpMinusSquare(x) / (Math.Sqrt(Math.PI) * f);
    }

    // e^{−x²} without the rounding of x²: split x = hi + lo with hi's low 27 bits cleared, so hi² is exact
    // and x² = hi² + lo(2hi + lo). Matters in the tail, where e^{−x²} magnifies the error of x² by x².
    private static double ExpMinusSquare(double x)
    {
        double hi = BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(x) & ~((1L << 27) - 1));
        double lo = x - hi;
        return Math.Exp(-(hi * hi)) * Math.Exp(-(lo * ((2 * hi) + lo)));
    }

    /// <summary>log(1 + x), accurate for tiny x (where 1 + x rounds): log(u)·x/(u − 1) with u = 1 + x.</summary>
    internal static T Log1P<T>(T x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T u = T.One + x;
        if (u == T.One) return x;
        if (T.IsPositiveInfinity(u)) return u;
        return T.Log(u) * x / (u - T.One);
    }

    /// <summary>eˣ − 1, accurate near 0 (Kahan's trick: (u − 1)·x/log u with u = eˣ).</summary>
    internal static T Expm1<T>(T x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T u = T.Exp(x);
        if (u == T.One) return x;
        T um1 = u - T.One;
        if (um1 == -T.One || T.IsPositiveInfinity(u)) return um1;
        return um1 * x / T.Log(u);
    }

    // ─── Shared loops ───────────────────────────────────────────────────────────────────────────────────────────────

    // The into-variants' shapes: dout, the saved array and dx all alike.
    private static void CheckInto<T>(NDArray<T> dout, NDArray<T> saved, NDArray<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.SameShape(saved, "the forward pass's array", dout, nameof(dout));
        Check.SameShape(dout, nameof(dout), dx, nameof(dx));
    }

    private static NDArray<T> Map<T>(NDArray<T> x, Func<T, T> f) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var y = x.ZerosLike();
        for (int i = 0; i < x.Length; i++) y.Data[i] = f(x.Data[i]);
        return y;
    }

    // dx[i] = rule(dout[i], saved[i]) — the chain rule, elementwise.
    private static NDArray<T> Zip<T>(NDArray<T> dout, NDArray<T> saved, Func<T, T, T> rule) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.SameShape(saved, "the forward pass's array (cache)", dout, nameof(dout));
        var dx = saved.ZerosLike();
        for (int i = 0; i < dx.Length; i++) dx.Data[i] = rule(dout.Data[i], saved.Data[i]);
        return dx;
    }

    private static void CheckFinite(double value, string name)
    {
        if (!double.IsFinite(value))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number, got {value}.");
    }

    private static void CheckDefined<TEnum>(TEnum value, string name) where TEnum : struct, Enum
    {
        if (!Enum.IsDefined(value))
            throw new ArgumentOutOfRangeException(name, value, $"{name} = {value} is not one of {string.Join(", ", Enum.GetNames<TEnum>())}.");
    }
}

/// <summary>
/// A PReLU layer that owns its slope (torch.nn.PReLU): one learned slope shared by all channels, or one per channel
/// (dimension 1 of the input), initialised to 0.25 as PyTorch does. Backward adds ∂L/∂a into the slope's gradient and
/// returns dx; the math is <see cref="Activations.PRelu"/>.
/// </summary>
public sealed class PReluLayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary><paramref name="numParameters"/> slopes (1, or the number of channels), each <paramref name="init"/>.</summary>
    public PReluLayer(int numParameters = 1, double init = 0.25, string name = "prelu")
    {
        Check.PositiveInt(numParameters, nameof(numParameters));
        Check.Finite(init, nameof(init));
        ArgumentNullException.ThrowIfNull(name);
        Weight = new Parameter<T>(name + ".weight", NDArray.Full(T.CreateChecked(init), numParameters));
    }

    /// <summary>The slopes a, [1] or [C].</summary>
    public Parameter<T> Weight { get; }

    /// <summary>The slope parameter (PyTorch's state-dict order).</summary>
    public IReadOnlyList<Parameter<T>> Parameters => [Weight];

    /// <summary>y = x if x &gt; 0 else a·x (per channel).</summary>
    public (NDArray<T> Out, Activations.PRelu.Cache<T> Cache) Forward(NDArray<T> x) => Activations.PRelu.Forward(x, Weight.Value);

    /// <summary>Adds ∂L/∂a to <see cref="Weight"/>'s gradient and returns dx.</summary>
    public NDArray<T> Backward(NDArray<T> dout, Activations.PRelu.Cache<T> cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        if (!ReferenceEquals(cache.A, Weight.Value))
            throw new ArgumentException("cache was made by another PReLU (or the functional form): pass the cache this layer's Forward returned.", nameof(cache));
        var g = Activations.PRelu.Backward(dout, cache); // checks and computes everything before the one write below
        TensorPrimitives.Add(Weight.Grad.Span, g.Da.Span, Weight.Grad.Span);
        return g.Dx;
    }

    /// <summary>Sets the slope's gradient to zero.</summary>
    public void ZeroGrad() => Weight.ZeroGrad();
}
