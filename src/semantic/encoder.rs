//! Text → unit vector with the sentence-embedding model, on the CPU with candle.
//!
//! What sentence-transformers does for all-MiniLM-L6-v2: WordPiece tokens, the 6-layer
//! BERT encoder, the mean of the token states, then scaling to length 1, so the dot
//! product of two embeddings is their cosine similarity.

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::Tokenizer;

use super::model::{ModelFiles, DIMENSIONS};

/// Tokens per text the model sees; passages are cut well below this (see
/// [`super::passages`]), so this only bounds the cost of a pathological input.
const MAX_TOKENS: usize = 256;

/// The loaded model. Embedding is CPU-bound and blocking: call it off the async executor.
pub struct Encoder {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
}

/// A failure inside the model; only expected with broken model files.
#[derive(Debug)]
pub struct EncodeError(pub String);

impl std::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EncodeError {}

impl From<candle_core::Error> for EncodeError {
    fn from(error: candle_core::Error) -> Self {
        Self(format!("model error: {error}"))
    }
}

impl Encoder {
    /// Loads checked model files (see [`super::model::locate`]).
    pub fn load(files: &ModelFiles) -> Result<Self, EncodeError> {
        let config_text = std::fs::read_to_string(&files.config)
            .map_err(|e| EncodeError(format!("cannot read {}: {e}", files.config.display())))?;
        let config: Config = serde_json::from_str(&config_text)
            .map_err(|e| EncodeError(format!("{} is not a BERT configuration: {e}", files.config.display())))?;
        let mut tokenizer = Tokenizer::from_file(&files.tokenizer)
            .map_err(|e| EncodeError(format!("cannot load {}: {e}", files.tokenizer.display())))?;
        // The packaged tokenizer pads every text to 128 tokens: a 3-word query would
        // cost as much as a paragraph. One text at a time needs no padding.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(tokenizers::TruncationParams { max_length: MAX_TOKENS, ..Default::default() }))
            .map_err(|e| EncodeError(format!("cannot configure the tokenizer: {e}")))?;
        let device = Device::Cpu;
        let weights = std::fs::read(&files.weights)
            .map_err(|e| EncodeError(format!("cannot read {}: {e}", files.weights.display())))?;
        let variables = VarBuilder::from_buffered_safetensors(weights, DType::F32, &device)?;
        let model = BertModel::load(variables, &config)?;
        Ok(Self { model, tokenizer, device })
    }

    /// The unit-length embedding of `text`.
    pub fn embed(&self, text: &str) -> Result<Vec<f32>, EncodeError> {
        let encoding =
            self.tokenizer.encode(text, true).map_err(|e| EncodeError(format!("cannot tokenize the text: {e}")))?;
        let ids = encoding.get_ids();
        if ids.is_empty() {
            return Ok(vec![0.0; DIMENSIONS]);
        }
        // Batches of one: measured no faster per text in batches of 4–16 (the matrix
        // products dominate either way), and one text needs no padding or mask.
        let ids = Tensor::new(ids, &self.device)?.unsqueeze(0)?;
        let token_types = ids.zeros_like()?;
        let states = self.model.forward(&ids, &token_types, None)?;
        let mean: Vec<f32> = states.mean(1)?.squeeze(0)?.to_vec1()?;
        Ok(normalized(mean))
    }

    /// Number of model tokens in `text` (for cutting passages to the model's window).
    pub fn token_count(&self, text: &str) -> usize {
        self.tokenizer.encode(text, false).map(|e| e.get_ids().len()).unwrap_or(0)
    }
}

/// `vector` scaled to length 1 (left as is when it is all zeros).
pub fn normalized(mut vector: Vec<f32>) -> Vec<f32> {
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for x in &mut vector {
            *x /= norm;
        }
    }
    vector
}
