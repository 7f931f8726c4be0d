using System.Numerics;
using System.Numerics.Tensors;

namespace DeepLearning.Scratch;

/// <summary>How a loss combines its per-element (or per-example) terms ℓᵢ, as PyTorch's <c>reduction=</c>.</summary>
public enum Reduction
{
    /// <summary>L = (1/n) Σᵢ ℓᵢ (PyTorch's default).</summary>
    Mean,

    /// <summary>L = Σᵢ ℓᵢ.</summary>
    Sum,

    /// <summary>No reduction: the array of ℓᵢ (use a loss's <c>ForwardNone</c>).</summary>
    None,
}

/// <summary>
/// Loss functions as Forward/Backward pairs, under the same rule as every other piece: <c>Forward(...) → (Loss,
/// Cache)</c> returns the reduced scalar (Mean or Sum), <c>ForwardNone(...) → (Loss, Cache)</c> the unreduced array
/// of ℓᵢ, and <c>Backward(dOut, cache)</c> returns ∂(dOut·L)/∂input. dOut = ∂(whatever comes after)/∂L is the
/// upstream gradient: a scalar for a reduced loss (<c>Backward(cache)</c> means dOut = 1, the usual end of the chain)
/// and an array shaped like the ℓᵢ for <see cref="Reduction.None"/>. With Mean each ℓᵢ receives dOut/n, with Sum dOut,
/// with None dOutᵢ — that per-term upstream gradient gᵢ is what every Backward below multiplies into its local derivative.
/// </summary>
public static class Losses
{
    /// <summary>Mean squared error (torch.nn.MSELoss): ℓᵢ = (xᵢ − yᵢ)²; ∂ℓᵢ/∂xᵢ = 2(xᵢ − yᵢ).</summary>
    public static class Mse
    {
        /// <summary>What backward needs: the difference x − y and the reduction.</summary>
        public sealed record Cache<T>(NDArray<T> Diff, Reduction Reduction) where T : unmanaged, IFloatingPointIeee754<T>;

        /// <summary>The reduced loss (Mean or Sum).</summary>
        public static (T Loss, Cache<T> Cache) Forward<T>(NDArray<T> input, NDArray<T> target, Reduction reduction = Reduction.Mean)
            where T : unmanaged, IFloatingPointIeee754<T> => Reduced(Each(input, target, Reducing(reduction)), reduction);

        /// <summary>One loss per element (reduction None).</summary>
        public static (NDArray<T> Loss, Cache<T> Cache) ForwardNone<T>(NDArray<T> input, NDArray<T> target)
            where T : unmanaged, IFloatingPointIeee754<T> => Each(input, target, Reduction.None);

        /// <summary>dx = g ⊙ 2(x − y).</summary>
        public static NDArray<T> Backward<T>(NDArray<T>? dOut, Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T>
        {
            ArgumentNullException.ThrowIfNull(cache);
            var g = Upstream(dOut, cache.Reduction, cache.Diff.Shape);
            // (2·g)·d, not 2·d·g: with Mean's g = 1/n the product stays finite where 2·d alone overflows (as PyTorch).
            return Zip(g, cache.Diff, static (gi, d) => T.CreateChecked(2) * gi * d);
        }

        /// <summary>Backward with a scalar upstream gradient dOut = ∂(…)/∂L of the reduced loss.</summary>
        public static NDArray<T> Backward<T>(T dOut, Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T> => Backward(NDArray.Scalar(dOut), cache);

        /// <summary>Backward with dOut = 1: the gradient of the reduced loss itself.</summary>
        public static NDArray<T> Backward<T>(Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T> => Backward(null, cache);

        private static (NDArray<T>, Cache<T>) Each<T>(NDArray<T> input, NDArray<T> target, Reduction reduction)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            var diff = Difference(input, target);
            return (Map(diff, static d => d * d), new Cache<T>(diff, reduction));
        }
    }

    /// <summary>Mean absolute error (torch.nn.L1Loss): ℓᵢ = |xᵢ − yᵢ|; ∂ℓᵢ/∂xᵢ = sign(xᵢ − yᵢ) (0 at 0, as PyTorch).</summary>
    public static class L1
    {
        /// <summary>What backward needs: the difference x − y and the reduction.</summary>
        public sealed record Cache<T>(NDArray<T> Diff, Reduction Reduction) where T : unmanaged, IFloatingPointIeee754<T>;

        /// <summary>The reduced loss (Mean or Sum).</summary>
        public static (T Loss, Cache<T> Cache) Forward<T>(NDArray<T> input, NDArray<T> target, Reduction reduction = Reduction.Mean)
            where T : unmanaged, IFloatingPointIeee754<T> => Reduced(Each(input, target, Reducing(reduction)), reduction);

        /// <summary>One loss per element (reduction None).</summary>
        public static (NDArray<T> Loss, Cache<T> Cache) ForwardNone<T>(NDArray<T> input, NDArray<T> target)
            where T : unmanaged, IFloatingPointIeee754<T> => Each(input, target, Reduction.None);

        /// <summary>dx = g ⊙ sign(x − y).</summary>
        public static NDArray<T> Backward<T>(NDArray<T>? dOut, Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T>
        {
            ArgumentNullException.ThrowIfNull(cache);
            var g = Upstream(dOut, cache.Reduction, cache.Diff.Shape);
            return Zip(g, cache.Diff, static (gi, d) => d > T.Zero ? gi : d < T.Zero ? -gi : T.Zero);
        }

        /// <summary>Backward with a scalar upstream gradient dOut = ∂(…)/∂L of the reduced loss.</summary>
        public static NDArray<T> Backward<T>(T dOut, Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T> => Backward(NDArray.Scalar(dOut), cache);

        /// <summary>Backward with dOut = 1: the gradient of the reduced loss itself.</summary>
        public static NDArray<T> Backward<T>(Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T> => Backward(null, cache);

        private static (NDArray<T>, Cache<T>) Each<T>(NDArray<T> input, NDArray<T> target, Reduction reduction)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            var diff = Difference(input, target);
            return (Map(diff, T.Abs), new Cache<T>(diff, reduction));
        }
    }

    /// <summary>
    /// Huber loss (torch.nn.HuberLoss), quadratic near 0 and linear beyond δ: with d = x − y,
    /// ℓ = ½d² if |d| &lt; δ else δ(|d| − ½δ); ∂ℓ/∂x = clamp(d, −δ, δ).
    /// </summary>
    public static class Huber
    {
        /// <summary>What backward needs: the difference, δ and the reduction.</summary>
        public sealed record Cache<T>(NDArray<T> Diff, T Delta, Reduction Reduction) where T : unmanaged, IFloatingPointIeee754<T>;

        /// <summary>The reduced loss (Mean or Sum).</summary>
        public static (T Loss, Cache<T> Cache) Forward<T>(NDArray<T> input, NDArray<T> target, Reduction reduction = Reduction.Mean, double delta = 1.0)
            where T : unmanaged, IFloatingPointIeee754<T> => Reduced(Each(input, target, Reducing(reduction), delta), reduction);

        /// <summary>One loss per element (reduction None).</summary>
        public static (NDArray<T> Loss, Cache<T> Cache) ForwardNone<T>(NDArray<T> input, NDArray<T> target, double delta = 1.0)
            where T : unmanaged, IFloatingPointIeee754<T> => Each(input, target, Reduction.None, delta);

        /// <summary>dx = g ⊙ clamp(x − y, −δ, δ).</summary>
        public static NDArray<T> Backward<T>(NDArray<T>? dOut, Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T>
        {
            ArgumentNullException.ThrowIfNull(cache);
            var g = Upstream(dOut, cache.Reduction, cache.Diff.Shape);
            T delta = cache.Delta;
            return Zip(g, cache.Diff, (gi, d) => T.Clamp(d, -delta, delta) * gi);
        }

        /// <summary>Backward with a scalar upstream gradient dOut = ∂(…)/∂L of the reduced loss.</summary>
        public static NDArray<T> Backward<T>(T dOut, Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T> => Backward(NDArray.Scalar(dOut), cache);

        /// <summary>Backward with dOut = 1: the gradient of the reduced loss itself.</summary>
        public static NDArray<T> Backward<T>(Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T> => Backward(null, cache);

        private static (NDArray<T>, Cache<T>) Each<T>(NDArray<T> input, NDArray<T> target, Reduction reduction, double delta)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            Check.Positive(delta, nameof(delta));
            var diff = Difference(input, target);
            T dt = T.CreateChecked(delta), half = T.CreateChecked(0.5);
            var each = Map(diff, d =>
            {
                T z = T.Abs(d);
                return z < dt ? half * z * z : dt * (z - (half * dt));
            });
            return (each, new Cache<T>(diff, dt, reduction));
        }
    }

    /// <summary>
    /// Binary cross-entropy on probabilities (torch.nn.BCELoss): ℓ = −[y·log x + (1 − y)·log(1 − x)], each log clamped
    /// at −100 as PyTorch does so x = 0 or 1 gives a finite loss; ∂ℓ/∂x = (x − y)/max(x(1 − x), ε) with PyTorch's
    /// ε = 1e-12 (as float32, ≈ 9.99999996e-13).
    /// </summary>
    public static class Bce
    {
        private const double Epsilon = 1e-12f; // PyTorch's floor on x(1 − x) in the backward pass (a float constant there)
        private const double LogFloor = -100;

        /// <summary>What backward needs: the probabilities, targets and the reduction.</summary>
        public sealed record Cache<T>(NDArray<T> Input, NDArray<T> Target, Reduction Reduction) where T : unmanaged, IFloatingPointIeee754<T>;

        /// <summary>The reduced loss (Mean or Sum).</summary>
        public static (T Loss, Cache<T> Cache) Forward<T>(NDArray<T> input, NDArray<T> target, Reduction reduction = Reduction.Mean)
            where T : unmanaged, IFloatingPointIeee754<T> => Reduced(Each(input, target, Reducing(reduction)), reduction);

        /// <summary>One loss per element (reduction None).</summary>
        public static (NDArray<T> Loss, Cache<T> Cache) ForwardNone<T>(NDArray<T> input, NDArray<T> target)
            where T : unmanaged, IFloatingPointIeee754<T> => Each(input, target, Reduction.None);

        /// <summary>dx = g ⊙ (x − y)/max(x(1 − x), ε).</summary>
        public static NDArray<T> Backward<T>(NDArray<T>? dOut, Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T>
        {
            ArgumentNullException.ThrowIfNull(cache);
            var (x, y) = (cache.Input, cache.Target);
            var g = Upstream(dOut, cache.Reduction, x.Shape);
            var dx = x.ZerosLike();
            T eps = T.CreateChecked(Epsilon);
            for (int i = 0; i < dx.Length; i++)
                dx.Data[i] = g.Data[i] * (x.Data[i] - y.Data[i]) / T.Max((T.One - x.Data[i]) * x.Data[i], eps);
            return dx;
        }

        /// <summary>Backward with a scalar upstream gradient dOut = ∂(…)/∂L of the reduced loss.</summary>
        public static NDArray<T> Backward<T>(T dOut, Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T> => Backward(NDArray.Scalar(dOut), cache);

        /// <summary>Backward with dOut = 1: the gradient of the reduced loss itself.</summary>
        public static NDArray<T> Backward<T>(Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T> => Backward(null, cache);

        private static (NDArray<T>, Cache<T>) Each<T>(NDArray<T> input, NDArray<T> target, Reduction reduction)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            CheckPair(input, target);
            CheckProbabilities(input, nameof(input), " (BCE takes probabilities: apply a sigmoid first, or use BceWithLogits)");
            CheckProbabilities(target, nameof(target), "");
            var each = input.ZerosLike();
            T floor = T.CreateChecked(LogFloor);
            for (int i = 0; i < each.Length; i++)
            {
                T x = input.Data[i], y = target.Data[i];
                each.Data[i] = -((y * T.Max(T.Log(x), floor)) + ((T.One - y) * T.Max(Activations.Log1P(-x), floor)));
            }
            return (each, new Cache<T>(input, target, reduction));
        }
    }

    /// <summary>
    /// Binary cross-entropy on logits (torch.nn.BCEWithLogitsLoss), sigmoid and BCE fused into the stable form
    /// ℓ = max(x, 0) − x·y + log(1 + e^{−|x|}) (never exponentiates a positive number); ∂ℓ/∂x = σ(x) − y.
    /// With pos_weight p (one per class, the last dimension): ℓ = (1 − y)x + (1 + (p − 1)y)(log(1 + e^{−|x|}) + max(−x, 0)),
    /// ∂ℓ/∂x = (1 + (p − 1)y)σ(x) − p·y.
    /// </summary>
    public static class BceWithLogits
    {
        /// <summary>What backward needs: logits, targets, the optional pos_weight and the reduction.</summary>
        public sealed record Cache<T>(NDArray<T> Input, NDArray<T> Target, NDArray<T>? PosWeight, Reduction Reduction)
            where T : unmanaged, IFloatingPointIeee754<T>;

        /// <summary>The reduced loss (Mean or Sum).</summary>
        public static (T Loss, Cache<T> Cache) Forward<T>(NDArray<T> input, NDArray<T> target, Reduction reduction = Reduction.Mean,
            NDArray<T>? posWeight = null) where T : unmanaged, IFloatingPointIeee754<T> =>
            Reduced(Each(input, target, Reducing(reduction), posWeight), reduction);

        /// <summary>One loss per element (reduction None).</summary>
        public static (NDArray<T> Loss, Cache<T> Cache) ForwardNone<T>(NDArray<T> input, NDArray<T> target, NDArray<T>? posWeight = null)
            where T : unmanaged, IFloatingPointIeee754<T> => Each(input, target, Reduction.None, posWeight);

        /// <summary>dx = g ⊙ ((1 + (p − 1)y)σ(x) − p·y), which is g ⊙ (σ(x) − y) without pos_weight.</summary>
        public static NDArray<T> Backward<T>(NDArray<T>? dOut, Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T>
        {
            ArgumentNullException.ThrowIfNull(cache);
            var (x, y, pw) = (cache.Input, cache.Target, cache.PosWeight);
            var g = Upstream(dOut, cache.Reduction, x.Shape);
            var dx = x.ZerosLike();
            for (int i = 0; i < dx.Length; i++)
            {
                T p = pw is null ? T.One : pw.Data[i % pw.Length];
                T yi = y.Data[i];
                dx.Data[i] = g.Data[i] * (((T.One + ((p - T.One) * yi)) * Activations.Sigmoid.Apply(x.Data[i])) - (p * yi));
            }
            return dx;
        }

        /// <summary>Backward with a scalar upstream gradient dOut = ∂(…)/∂L of the reduced loss.</summary>
        public static NDArray<T> Backward<T>(T dOut, Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T> => Backward(NDArray.Scalar(dOut), cache);

        /// <summary>Backward with dOut = 1: the gradient of the reduced loss itself.</summary>
        public static NDArray<T> Backward<T>(Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T> => Backward(null, cache);

        private static (NDArray<T>, Cache<T>) Each<T>(NDArray<T> input, NDArray<T> target, Reduction reduction, NDArray<T>? posWeight)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            CheckPair(input, target);
            if (posWeight is not null)
            {
                int classes = input.Rank == 0 ? 1 : input.Dim(-1);
                if (posWeight.Rank != 1 || posWeight.Length != classes)
                    throw new ArgumentException(
                        $"posWeight has shape {Shapes.Format(posWeight.Shape)}, but needs one weight per class ([{classes}], the last dimension of input {Shapes.Format(input.Shape)}).", nameof(posWeight));
            }
            var each = input.ZerosLike();
            for (int i = 0; i < each.Length; i++)
            {
                T x = input.Data[i], y = target.Data[i];
                T softplusMinusX = Activations.Log1P(T.Exp(-T.Abs(x))) + T.Max(-x, T.Zero); // log(1 + e^{−x}), stably
                T w = posWeight is null ? T.One : T.One + ((posWeight.Data[i % posWeight.Length] - T.One) * y);
                each.Data[i] = ((T.One - y) * x) + (w * softplusMinusX);
            }
            return (each, new Cache<T>(input, target, posWeight, reduction));
        }
    }

    /// <summary>
    /// Cross-entropy from logits (torch.nn.CrossEntropyLoss) for logits [N, C], with class-index targets ("sparse") or
    /// probability/one-hot targets [N, C]. With log-softmax log pᵢ and the target distribution qᵢ,
    /// ℓᵢ = −Σ_c q_ic·log p_ic, where label smoothing ε mixes q with the uniform distribution: q ← (1 − ε)q + ε/C (for
    /// class indices q is one-hot, so ε = 0 gives ℓᵢ = −log p_{i,yᵢ}). Gradient: ∂ℓᵢ/∂logits = pᵢ·Σ_c q_ic − qᵢ, which is
    /// the familiar softmax − target when q sums to 1. Mean divides by the batch size N.
    /// </summary>
    public static class CrossEntropy
    {
        /// <summary>What backward needs: softmax probabilities, the (smoothed) target distribution and the reduction.</summary>
        public sealed record Cache<T>(NDArray<T> Probs, NDArray<T> Q, Reduction Reduction) where T : unmanaged, IFloatingPointIeee754<T>;

        /// <summary>The reduced loss for class-index targets.</summary>
        public static (T Loss, Cache<T> Cache) Forward<T>(NDArray<T> logits, ReadOnlySpan<int> target, Reduction reduction = Reduction.Mean,
            double labelSmoothing = 0) where T : unmanaged, IFloatingPointIeee754<T> =>
            Reduced(Each(logits, OneHot(logits, target), Reducing(reduction), labelSmoothing, target), reduction);

        /// <summary>One loss per example for class-index targets (reduction None).</summary>
        public static (NDArray<T> Loss, Cache<T> Cache) ForwardNone<T>(NDArray<T> logits, ReadOnlySpan<int> target, double labelSmoothing = 0)
            where T : unmanaged, IFloatingPointIeee754<T> => Each(logits, OneHot(logits, target), Reduction.None, labelSmoothing, target);

        /// <summary>The reduced loss for probability (or one-hot) targets of the logits' shape.</summary>
        public static (T Loss, Cache<T> Cache) Forward<T>(NDArray<T> logits, NDArray<T> target, Reduction reduction = Reduction.Mean,
            double labelSmoothing = 0) where T : unmanaged, IFloatingPointIeee754<T> =>
            Reduced(Each(logits, ProbabilityTarget(logits, target), Reducing(reduction), labelSmoothing), reduction);

        /// <summary>One loss per example for probability targets (reduction None).</summary>
        public static (NDArray<T> Loss, Cache<T> Cache) ForwardNone<T>(NDArray<T> logits, NDArray<T> target, double labelSmoothing = 0)
            where T : unmanaged, IFloatingPointIeee754<T> => Each(logits, ProbabilityTarget(logits, target), Reduction.None, labelSmoothing);

        /// <summary>dlogitsᵢ = gᵢ·(pᵢ·Σ_c q_ic − qᵢ).</summary>
        public static NDArray<T> Backward<T>(NDArray<T>? dOut, Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T>
        {
            ArgumentNullException.ThrowIfNull(cache);
            var (p, q) = (cache.Probs, cache.Q);
            int n = p.Shape[0], c = p.Shape[1];
            var g = Upstream(dOut, cache.Reduction, [n]);
            var dx = p.ZerosLike();
            for (int i = 0; i < n; i++)
            {
                T mass = TensorPrimitives.Sum<T>(q.Row(i));
                for (int j = 0; j < c; j++) dx[i, j] = g[i] * ((p[i, j] * mass) - q[i, j]);
            }
            return dx;
        }

        /// <summary>Backward with a scalar upstream gradient dOut = ∂(…)/∂L of the reduced loss.</summary>
        public static NDArray<T> Backward<T>(T dOut, Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T> => Backward(NDArray.Scalar(dOut), cache);

        /// <summary>Backward with dOut = 1: the gradient of the reduced loss itself.</summary>
        public static NDArray<T> Backward<T>(Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T> => Backward(null, cache);

        /// <summary>
        /// The training loop's form, allocating nothing: mean loss over class-index targets (no smoothing), with
        /// p = softmax(logits) written to <paramref name="probs"/>. Each row's max is subtracted so exp cannot
        /// overflow: −log p_y = log Σ e^(z − max) − (z_y − max).
        /// </summary>
        public static T ForwardInto<T>(NDArray<T> logits, ReadOnlySpan<int> target, NDArray<T> probs) where T : unmanaged, IFloatingPointIeee754<T>
        {
            CheckLogits(logits, nameof(logits));
            Check.Labels(target, logits.Shape[0], logits.Shape[1], nameof(target));
            Check.SameShape(logits, nameof(logits), probs, nameof(probs));
            T loss = T.Zero;
            for (int i = 0; i < logits.Shape[0]; i++)
            {
                Span<T> z = logits.Row(i), p = probs.Row(i);
                T max = TensorPrimitives.Max<T>(z);
                TensorPrimitives.Subtract(z, max, p);
                TensorPrimitives.Exp<T>(p, p);
                T sum = TensorPrimitives.Sum<T>(p);
                TensorPrimitives.Divide(p, sum, p);
                loss += T.Log(sum) - (z[target[i]] - max);
            }
            return loss / T.CreateChecked(logits.Shape[0]);
        }

        /// <summary>dlogits = (p − onehot(target)) / N into <paramref name="dlogits"/> (which may be probs itself): <see cref="ForwardInto"/>'s backward.</summary>
        public static void BackwardInto<T>(NDArray<T> probs, ReadOnlySpan<int> target, NDArray<T> dlogits) where T : unmanaged, IFloatingPointIeee754<T>
        {
            CheckLogits(probs, nameof(probs));
            Check.Labels(target, probs.Shape[0], probs.Shape[1], nameof(target));
            Check.SameShape(probs, nameof(probs), dlogits, nameof(dlogits));
            T invN = T.One / T.CreateChecked(probs.Shape[0]);
            TensorPrimitives.Multiply(probs.Span, invN, dlogits.Span);
            for (int i = 0; i < target.Length; i++) dlogits[i, target[i]] -= invN;
        }

        // indices: the class-index targets when there are any (then q is their one-hot), else empty.
        private static (NDArray<T>, Cache<T>) Each<T>(NDArray<T> logits, NDArray<T> q, Reduction reduction, double labelSmoothing,
            ReadOnlySpan<int> indices = default)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            Check.InRange(labelSmoothing, 0, 1, nameof(labelSmoothing), highInclusive: true);
            int n = logits.Shape[0], c = logits.Shape[1];
            if (labelSmoothing > 0)
            {
                T keep = T.CreateChecked(1 - labelSmoothing), spread = T.CreateChecked(labelSmoothing / c);
                for (int k = 0; k < q.Length; k++) q.Data[k] = (q.Data[k] * keep) + spread;
            }
            var logp = Activations.LogSoftmax.Forward(logits).Out;
            var each = new NDArray<T>([n]);
            for (int i = 0; i < n; i++)
            {
                // A class index picks one log-probability, −log p_{i,y}, as PyTorch does: the dot product with the
                // one-hot q would multiply 0 by a masked logit's log p = −∞ and give NaN instead of the loss.
                each[i] = indices.Length > 0 && labelSmoothing == 0 ? -logp[i, indices[i]] : -TensorPrimitives.Dot<T>(q.Row(i), logp.Row(i));
            }
            return (each, new Cache<T>(Map(logp, T.Exp), q, reduction));
        }

        private static NDArray<T> OneHot<T>(NDArray<T> logits, ReadOnlySpan<int> target) where T : unmanaged, IFloatingPointIeee754<T>
        {
            CheckLogits(logits, nameof(logits));
            Check.Labels(target, logits.Shape[0], logits.Shape[1], nameof(target));
            var q = logits.ZerosLike();
            for (int i = 0; i < target.Length; i++) q[i, target[i]] = T.One;
            return q;
        }

        private static NDArray<T> ProbabilityTarget<T>(NDArray<T> logits, NDArray<T> target) where T : unmanaged, IFloatingPointIeee754<T>
        {
            CheckLogits(logits, nameof(logits));
            Check.SameShape(logits, nameof(logits), target, nameof(target));
            CheckProbabilities(target, nameof(target), " (class probabilities; pass an int[] for class indices)");
            return target.Clone(); // smoothing rewrites it
        }
    }

    /// <summary>
    /// Negative log-likelihood (torch.nn.NLLLoss) on log-probabilities [N, C] (e.g. a log-softmax output) with class
    /// indices: ℓᵢ = −x_{i,yᵢ}; ∂ℓᵢ/∂x_{i,yᵢ} = −1 and 0 elsewhere. Mean divides by N.
    /// </summary>
    public static class Nll
    {
        /// <summary>What backward needs: the input's shape, the targets and the reduction.</summary>
        public sealed record Cache<T>(int[] Shape, int[] Target, Reduction Reduction) where T : unmanaged, IFloatingPointIeee754<T>;

        /// <summary>The reduced loss (Mean or Sum).</summary>
        public static (T Loss, Cache<T> Cache) Forward<T>(NDArray<T> input, ReadOnlySpan<int> target, Reduction reduction = Reduction.Mean)
            where T : unmanaged, IFloatingPointIeee754<T> => Reduced(Each(input, target, Reducing(reduction)), reduction);

        /// <summary>One loss per example (reduction None).</summary>
        public static (NDArray<T> Loss, Cache<T> Cache) ForwardNone<T>(NDArray<T> input, ReadOnlySpan<int> target)
            where T : unmanaged, IFloatingPointIeee754<T> => Each(input, target, Reduction.None);

        /// <summary>dx[i, yᵢ] = −gᵢ, zero elsewhere.</summary>
        public static NDArray<T> Backward<T>(NDArray<T>? dOut, Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T>
        {
            ArgumentNullException.ThrowIfNull(cache);
            int n = cache.Shape[0];
            var g = Upstream(dOut, cache.Reduction, [n]);
            var dx = new NDArray<T>(cache.Shape);
            for (int i = 0; i < n; i++) dx[i, cache.Target[i]] = -g[i];
            return dx;
        }

        /// <summary>Backward with a scalar upstream gradient dOut = ∂(…)/∂L of the reduced loss.</summary>
        public static NDArray<T> Backward<T>(T dOut, Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T> => Backward(NDArray.Scalar(dOut), cache);

        /// <summary>Backward with dOut = 1: the gradient of the reduced loss itself.</summary>
        public static NDArray<T> Backward<T>(Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T> => Backward(null, cache);

        private static (NDArray<T>, Cache<T>) Each<T>(NDArray<T> input, ReadOnlySpan<int> target, Reduction reduction)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            CheckLogits(input, nameof(input));
            int n = input.Shape[0];
            Check.Labels(target, n, input.Shape[1], nameof(target));
            var each = new NDArray<T>([n]);
            for (int i = 0; i < n; i++) each[i] = -input[i, target[i]];
            return (each, new Cache<T>((int[])input.Shape.Clone(), target.ToArray(), reduction));
        }
    }

    /// <summary>
    /// Triplet margin loss (torch.nn.TripletMarginLoss, swap = false) on anchors, positives and negatives [N, D]:
    /// ℓᵢ = max(d(aᵢ, pᵢ) − d(aᵢ, nᵢ) + margin, 0) with d(u, v) = ‖u − v + eps‖_p (PyTorch's pairwise_distance adds eps
    /// to the difference). Where ℓᵢ is active, ∂d/∂u = sign(w)|w|^{p−1}/d^{p−1} with w = u − v + eps (w/d for p = 2),
    /// so da = g(∂d_ap − ∂d_an), dp = −g·∂d_ap, dn = g·∂d_an.
    /// </summary>
    public static class TripletMargin
    {
        /// <summary>What backward needs: the eps-shifted differences, their norms, the active rows, p and the reduction.</summary>
        public sealed record Cache<T>(NDArray<T> Wap, NDArray<T> Wan, NDArray<T> Dap, NDArray<T> Dan, bool[] Active, T P, Reduction Reduction)
            where T : unmanaged, IFloatingPointIeee754<T>;

        /// <summary>The three gradients.</summary>
        public sealed record Grads<T>(NDArray<T> DAnchor, NDArray<T> DPositive, NDArray<T> DNegative) where T : unmanaged, IFloatingPointIeee754<T>;

        /// <summary>The reduced loss (Mean or Sum).</summary>
        public static (T Loss, Cache<T> Cache) Forward<T>(NDArray<T> anchor, NDArray<T> positive, NDArray<T> negative,
            Reduction reduction = Reduction.Mean, double margin = 1.0, double p = 2, double eps = 1e-6)
            where T : unmanaged, IFloatingPointIeee754<T> => Reduced(Each(anchor, positive, negative, Reducing(reduction), margin, p, eps), reduction);

        /// <summary>One loss per triplet (reduction None).</summary>
        public static (NDArray<T> Loss, Cache<T> Cache) ForwardNone<T>(NDArray<T> anchor, NDArray<T> positive, NDArray<T> negative,
            double margin = 1.0, double p = 2, double eps = 1e-6) where T : unmanaged, IFloatingPointIeee754<T> =>
            Each(anchor, positive, negative, Reduction.None, margin, p, eps);

        /// <summary>Gradients with respect to anchor, positive and negative.</summary>
        public static Grads<T> Backward<T>(NDArray<T>? dOut, Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T>
        {
            ArgumentNullException.ThrowIfNull(cache);
            int n = cache.Wap.Shape[0], dim = cache.Wap.Shape[1];
            var g = Upstream(dOut, cache.Reduction, [n]);
            var (da, dp, dn) = (cache.Wap.ZerosLike(), cache.Wap.ZerosLike(), cache.Wap.ZerosLike());
            for (int i = 0; i < n; i++)
            {
                if (!cache.Active[i]) continue;
                for (int k = 0; k < dim; k++)
                {
                    T uap = NormGrad(cache.Wap[i, k], cache.Dap[i], cache.P), uan = NormGrad(cache.Wan[i, k], cache.Dan[i], cache.P);
                    da[i, k] = g[i] * (uap - uan);
                    dp[i, k] = -g[i] * uap;
                    dn[i, k] = g[i] * uan;
                }
            }
            return new Grads<T>(da, dp, dn);
        }

        /// <summary>Backward with a scalar upstream gradient dOut = ∂(…)/∂L of the reduced loss.</summary>
        public static Grads<T> Backward<T>(T dOut, Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T> => Backward(NDArray.Scalar(dOut), cache);

        /// <summary>Backward with dOut = 1: the gradient of the reduced loss itself.</summary>
        public static Grads<T> Backward<T>(Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T> => Backward(null, cache);

        private static (NDArray<T>, Cache<T>) Each<T>(NDArray<T> anchor, NDArray<T> positive, NDArray<T> negative, Reduction reduction,
            double margin, double p, double eps) where T : unmanaged, IFloatingPointIeee754<T>
        {
            CheckRows(anchor, nameof(anchor));
            Check.SameShape(anchor, nameof(anchor), positive, nameof(positive));
            Check.SameShape(anchor, nameof(anchor), negative, nameof(negative));
            Check.Positive(margin, nameof(margin));
            Check.Positive(p, nameof(p));
            Check.NonNegative(eps, nameof(eps));
            var (wap, dap) = Distances(anchor, positive, T.CreateChecked(eps), T.CreateChecked(p));
            var (wan, dan) = Distances(anchor, negative, T.CreateChecked(eps), T.CreateChecked(p));
            int n = anchor.Shape[0];
            var each = new NDArray<T>([n]);
            bool[] active = new bool[n];
            for (int i = 0; i < n; i++)
            {
                T hinge = dap[i] - dan[i] + T.CreateChecked(margin);
                active[i] = hinge >= T.Zero; // PyTorch's clamp_min passes the gradient at exactly 0
                each[i] = T.Max(hinge, T.Zero);
            }
            return (each, new Cache<T>(wap, wan, dap, dan, active, T.CreateChecked(p), reduction));
        }

        // w = u − v + eps row by row, and d = ‖w‖_p.
        private static (NDArray<T> W, NDArray<T> D) Distances<T>(NDArray<T> u, NDArray<T> v, T eps, T p) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var w = u.ZerosLike();
            var d = new NDArray<T>([u.Shape[0]]);
            for (int i = 0; i < u.Shape[0]; i++)
            {
                var wr = w.Row(i);
                TensorPrimitives.Subtract(u.Row(i), v.Row(i), wr);
                TensorPrimitives.Add(wr, eps, wr);
                if (p == T.CreateChecked(2))
                {
                    d[i] = TensorPrimitives.Norm<T>(wr);
                }
                else
                {
                    T sum = T.Zero;
                    foreach (T x in wr) sum += T.Pow(T.Abs(x), p);
                    d[i] = T.Pow(sum, T.One / p);
                }
            }
            return (w, d);
        }

        // ∂‖w‖_p/∂w_k = sign(w_k)|w_k|^{p−1}/‖w‖^{p−1}; PyTorch sets it to 0 where ‖w‖ = 0.
        private static T NormGrad<T>(T wk, T norm, T p) where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (norm == T.Zero) return T.Zero;
            if (p == T.CreateChecked(2)) return wk / norm;
            T sign = wk > T.Zero ? T.One : wk < T.Zero ? -T.One : T.Zero;
            if (p == T.One) return sign;
            return sign * T.Pow(T.Abs(wk), p - T.One) / T.Pow(norm, p - T.One);
        }
    }

    /// <summary>
    /// Contrastive loss for pairs (Hadsell, Chopra &amp; LeCun 2006; PyTorch has no built-in): with d = ‖x1 − x2‖₂ and
    /// yᵢ = 1 for a similar pair, 0 for a dissimilar one, ℓᵢ = y·d² + (1 − y)·max(0, margin − d)². Similar pairs are
    /// pulled together, dissimilar ones pushed apart until they are margin away. ∂ℓ/∂x1 = 2(x1 − x2) for y = 1, and
    /// −2(margin − d)(x1 − x2)/d for y = 0 inside the margin — taken as 0 at d = 0, where the direction is undefined
    /// (PyTorch's norm gradient does the same); ∂ℓ/∂x2 = −∂ℓ/∂x1.
    /// </summary>
    public static class Contrastive
    {
        /// <summary>What backward needs: the differences, distances, labels, margin and the reduction.</summary>
        public sealed record Cache<T>(NDArray<T> Diff, NDArray<T> D, int[] Y, T Margin, Reduction Reduction) where T : unmanaged, IFloatingPointIeee754<T>;

        /// <summary>The gradients with respect to both inputs of each pair.</summary>
        public sealed record Grads<T>(NDArray<T> DX1, NDArray<T> DX2) where T : unmanaged, IFloatingPointIeee754<T>;

        /// <summary>The reduced loss (Mean or Sum); <paramref name="y"/> is 1 for similar pairs, 0 for dissimilar.</summary>
        public static (T Loss, Cache<T> Cache) Forward<T>(NDArray<T> x1, NDArray<T> x2, ReadOnlySpan<int> y, Reduction reduction = Reduction.Mean,
            double margin = 1.0) where T : unmanaged, IFloatingPointIeee754<T> => Reduced(Each(x1, x2, y, Reducing(reduction), margin), reduction);

        /// <summary>One loss per pair (reduction None).</summary>
        public static (NDArray<T> Loss, Cache<T> Cache) ForwardNone<T>(NDArray<T> x1, NDArray<T> x2, ReadOnlySpan<int> y, double margin = 1.0)
            where T : unmanaged, IFloatingPointIeee754<T> => Each(x1, x2, y, Reduction.None, margin);

        /// <summary>dx1 = g·2(x1 − x2) (similar) or −g·2(m − d)(x1 − x2)/d (dissimilar, d &lt; m); dx2 = −dx1.</summary>
        public static Grads<T> Backward<T>(NDArray<T>? dOut, Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T>
        {
            ArgumentNullException.ThrowIfNull(cache);
            int n = cache.Diff.Shape[0];
            var g = Upstream(dOut, cache.Reduction, [n]);
            var (dx1, dx2) = (cache.Diff.ZerosLike(), cache.Diff.ZerosLike());
            T two = T.CreateChecked(2);
            for (int i = 0; i < n; i++)
            {
                T d = cache.D[i];
                // The factor c in dx1 = c·(x1 − x2): no division by d for similar pairs, so d → 0 is harmless there.
                T c = cache.Y[i] == 1 ? two * g[i]
                    : d > T.Zero && d < cache.Margin ? -two * g[i] * (cache.Margin - d) / d
                    : T.Zero;
                TensorPrimitives.Multiply(cache.Diff.Row(i), c, dx1.Row(i));
                TensorPrimitives.Negate<T>(dx1.Row(i), dx2.Row(i));
            }
            return new Grads<T>(dx1, dx2);
        }

        /// <summary>Backward with a scalar upstream gradient dOut = ∂(…)/∂L of the reduced loss.</summary>
        public static Grads<T> Backward<T>(T dOut, Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T> => Backward(NDArray.Scalar(dOut), cache);

        /// <summary>Backward with dOut = 1: the gradient of the reduced loss itself.</summary>
        public static Grads<T> Backward<T>(Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T> => Backward(null, cache);

        private static (NDArray<T>, Cache<T>) Each<T>(NDArray<T> x1, NDArray<T> x2, ReadOnlySpan<int> y, Reduction reduction, double margin)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            CheckRows(x1, nameof(x1));
            Check.SameShape(x1, nameof(x1), x2, nameof(x2));
            Check.Positive(margin, nameof(margin));
            int n = x1.Shape[0];
            if (y.Length != n)
                throw new ArgumentException($"y has {y.Length} labels but the batch has {n} pairs.", nameof(y));
            for (int i = 0; i < n; i++)
                if (y[i] is not (0 or 1))
                    throw new ArgumentOutOfRangeException(nameof(y), y[i], $"y[{i}] = {y[i]}, but a pair label must be 1 (similar) or 0 (dissimilar).");
            T m = T.CreateChecked(margin);
            var diff = Difference(x1, x2);
            var d = new NDArray<T>([n]);
            var each = new NDArray<T>([n]);
            for (int i = 0; i < n; i++)
            {
                d[i] = TensorPrimitives.Norm<T>(diff.Row(i));
                T gap = T.Max(m - d[i], T.Zero);
                each[i] = y[i] == 1 ? d[i] * d[i] : gap * gap;
            }
            return (each, new Cache<T>(diff, d, y.ToArray(), m, reduction));
        }
    }

    // ─── Reductions and the upstream gradient ───────────────────────────────────────────────────────────────────────

    // Forward's reduction must reduce; None has its own entry point because it returns an array.
    private static Reduction Reducing(Reduction reduction, string name = "reduction")
    {
        if (reduction is Reduction.Mean or Reduction.Sum) return reduction;
        throw reduction == Reduction.None
            ? new ArgumentException("reduction None gives one loss per element: call ForwardNone, which returns the array.", name)
            : new ArgumentOutOfRangeException(name, reduction, $"{name} = {reduction} is not Mean, Sum or None.");
    }

    private static (T, TCache) Reduced<T, TCache>((NDArray<T> Each, TCache Cache) r, Reduction reduction)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sum = TensorPrimitives.Sum<T>(r.Each.Data);
        return (reduction == Reduction.Mean ? sum / T.CreateChecked(r.Each.Length) : sum, r.Cache);
    }

    // gᵢ = ∂(dOut·L)/∂ℓᵢ: dOut/n for Mean, dOut for Sum, dOutᵢ for None.
    private static NDArray<T> Upstream<T>(NDArray<T>? dOut, Reduction reduction, int[] lossShape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (reduction == Reduction.None)
        {
            if (dOut is null)
                throw new ArgumentNullException(nameof(dOut),
                    $"The loss was not reduced (reduction None), so backward needs dOut of shape {Shapes.Format(lossShape)}, one gradient per loss.");
            if (!dOut.Shape.AsSpan().SequenceEqual(lossShape))
                throw new ArgumentException(
                    $"dOut has shape {Shapes.Format(dOut.Shape)}, but the unreduced loss has shape {Shapes.Format(lossShape)}.", nameof(dOut));
            return dOut;
        }
        if (reduction != Reduction.Mean && reduction != Reduction.Sum)
            throw new ArgumentOutOfRangeException(nameof(reduction), reduction, $"cache.Reduction = {reduction} is not Mean, Sum or None.");
        if (dOut is not null && dOut.Length != 1)
            throw new ArgumentException(
                $"dOut has shape {Shapes.Format(dOut.Shape)}, but the loss was reduced ({reduction}) to a scalar, so dOut must hold one value.", nameof(dOut));
        T scale = dOut is null ? T.One : dOut.Data[0];
        var g = new NDArray<T>(lossShape);
        if (reduction == Reduction.Mean) scale /= T.CreateChecked(g.Length);
        g.Span.Fill(scale);
        return g;
    }

    // ─── Checks and loops ───────────────────────────────────────────────────────────────────────────────────────────

    private static void CheckPair<T>(NDArray<T> input, NDArray<T> target) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.NotEmpty(input, nameof(input));
        Check.SameShape(input, nameof(input), target, nameof(target));
    }

    private static void CheckLogits<T>(NDArray<T> x, string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.Rank(x, 2, name, "[batch, classes]");
        Check.NotEmpty(x, name);
        if (x.Shape[1] == 0)
            throw new ArgumentException($"{name} has shape {Shapes.Format(x.Shape)}: there must be at least one class.", name);
    }

    private static void CheckRows<T>(NDArray<T> x, string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.Rank(x, 2, name, "[batch, features]");
        Check.NotEmpty(x, name);
    }

    private static void CheckProbabilities<T>(NDArray<T> p, string name, string hint) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < p.Length; i++)
        {
            T v = p.Data[i];
            if (!(v >= T.Zero && v <= T.One)) // also catches NaN
                throw new ArgumentOutOfRangeException(name, v, $"{name}[{i}] = {v} is not a probability in [0, 1]{hint}.");
        }
    }

    private static NDArray<T> Difference<T>(NDArray<T> a, NDArray<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckPair(a, b);
        var d = a.ZerosLike();
        TensorPrimitives.Subtract<T>(a.Data, b.Data, d.Data);
        return d;
    }

    private static NDArray<T> Map<T>(NDArray<T> x, Func<T, T> f) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = x.ZerosLike();
        for (int i = 0; i < x.Length; i++) y.Data[i] = f(x.Data[i]);
        return y;
    }

    // dx[i] = rule(g[i], saved[i]) — the chain rule, elementwise.
    private static NDArray<T> Zip<T>(NDArray<T> g, NDArray<T> saved, Func<T, T, T> rule) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dx = saved.ZerosLike();
        for (int i = 0; i < dx.Length; i++) dx.Data[i] = rule(g.Data[i], saved.Data[i]);
        return dx;
    }
}
